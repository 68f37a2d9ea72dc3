/**
 * What a tenant costs a worker in memory (docs/tenants.md, "What a tenant costs"): `npx tsx --expose-gc
 * bench/tenant-memory.ts [tenants]` builds each tenant's OZmap client through the worker's TenantOzmaps, as the
 * first reservation of each does, makes one call with each (so each keeps its connection to its OZmap open), and
 * prints the heap and the resident memory after a full GC against the same process before: the baseline is measured
 * in the same run. The OZmap is a simulator in a process of its own, so that its side of the connections is not
 * counted.
 */
import { TenantOzmaps } from '../activities/tenant-ozmaps.ts';
import { OzmapClient } from '../activities/ozmap/client.ts';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { findFreePort, isPortOpen } from '../scripts/dev-server.ts';

const TENANTS = Number(process.argv[2] ?? 300);
const KEY = 'bench-ozmap-key';
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc: npx tsx --expose-gc bench/tenant-memory.ts');

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
};

const port = await findFreePort();
const sim = {
  url: `http://127.0.0.1:${port}`,
  process: spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '..', 'simulator', 'main.ts')], {
    env: { ...process.env, SIM_PORT: String(port), OZMAP_API_KEY: KEY, SIM_STATE_FILE: 'none' },
    stdio: 'ignore',
  }),
};
while (!(await isPortOpen('127.0.0.1', port))) await new Promise((r) => setTimeout(r, 100));
const ozmaps = new TenantOzmaps(
  () => Promise.resolve({ version: 1, url: sim.url, apiKey: KEY }),
  (settings) => new OzmapClient({ baseUrl: sim.url, apiKey: settings.apiKey }),
);
// One tenant first, so that what every client shares (undici, zod schemas) is in the baseline.
await ozmaps.run('warm-up', (ozmap) => ozmap.checkKey());
const before = await settle();
for (let i = 0; i < TENANTS; i++) await ozmaps.run(`tenant-${i}`, (ozmap) => ozmap.checkKey());
const after = await settle();
const heap = after.heapUsed - before.heapUsed;
console.log(
  `${TENANTS} tenants, each with its OZmap client and an open connection: heap +${mib(heap)} MiB ` +
    `(${(heap / TENANTS / 1024).toFixed(1)} KiB each), resident +${mib(after.rss - before.rss)} MiB ` +
    `(${mib(before.rss)} → ${mib(after.rss)} MiB)`,
);
await ozmaps.close();
sim.process.kill('SIGTERM');
await once(sim.process, 'exit');
