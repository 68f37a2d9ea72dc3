/**
 * `npm run test:isolation` (docs/tenants.md, "Isolation"): one tenant's broken OZmap and another's burst must not
 * slow a third. On a dev server with Priority and Fairness, a worker process with the tenant registry, and a
 * simulator per tenant: tenant A reserves ROUNDS times alone, one after another; then, while B's OZmap answers
 * nothing (every request held open past the worker's timeout) for B's reservations and C starts BURST reservations
 * at once, A reserves ROUNDS times again. Prints A's p50 and p90 in both phases and the ratio, and exits 1 when A's
 * p50 under load is more than BOUND times A's alone, or when one of A's reservations did not end RESERVED.
 * ISOLATION_ROUNDS, ISOLATION_BURST, ISOLATION_BROKEN and ISOLATION_FAIRNESS=off vary it; the worker takes the usual
 * WORKER_* settings from the environment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { ReservationsClient } from '../../client/reservations.ts';
import { loadConfig } from '../../config/env.ts';
import { openRegistry } from '../../registry/open.ts';
import { FAIRNESS_DYNAMIC_CONFIG } from '../../scripts/dev-server.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { spawnWorker } from '../support/stack.ts';
import { createDevServerEnv } from '../support/temporal.ts';
import { SIM_API_KEY, reservablePoints, setFaults } from '../support/world.ts';

const ROUNDS = Number(process.env.ISOLATION_ROUNDS ?? 12);
const BURST = Number(process.env.ISOLATION_BURST ?? 200);
const BROKEN = Number(process.env.ISOLATION_BROKEN ?? 20);
const BOUND = 1.5;
const TASK_QUEUE = 'isolation';

const say = (line: string) => console.log(`[isolation] ${line}`);
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

async function main(): Promise<number> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ispbox-ozmap-isolation-'));
  const sims: Simulator[] = [];
  // ISOLATION_FAIRNESS=off: the server as it comes, to weigh what Priority and Fairness change.
  const fairness = process.env.ISOLATION_FAIRNESS === 'off' ? {} : FAIRNESS_DYNAMIC_CONFIG;
  const dev = await createDevServerEnv({ dynamicConfig: fairness, log: () => {} });
  try {
    const [a, b, c] = await Promise.all(
      ['a', 'b', 'c'].map(() => startSimulator({ port: 0, apiKey: SIM_API_KEY, log: () => {} })),
    );
    sims.push(a!, b!, c!);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: dev.address,
      TEMPORAL_NAMESPACE: dev.namespace,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      OZMAP_URL: a!.url,
      OZMAP_API_KEY: SIM_API_KEY,
      OZMAP_TIMEOUT_MS: '5000',
      GEOCODER_MIN_INTERVAL_MS: '0',
      ISPBOX_OZMAP_DATA_DIR: dataDir,
      TENANT_SECRETS_KEY: randomBytes(32).toString('base64'),
      ISPBOX_API_KEY: 'isolation-default-key-0123456789',
      LOG_LEVEL: 'warn',
    };
    const registry = await openRegistry(loadConfig(env));
    for (const [id, sim] of [
      ['tenant-a', a!],
      ['tenant-b', b!],
      ['tenant-c', c!],
    ] as const)
      await registry.put(id, { name: id, ozmap: { url: sim.url, apiKey: SIM_API_KEY }, radiusMeters: 250 });
    await registry.close();
    const worker = spawnWorker(env);
    await worker.ready;
    try {
      const base = new ReservationsClient(dev.env.client, TASK_QUEUE, {
        radiusMeters: 250,
        holdDays: 30,
        selectionTimeoutHours: 24,
      });
      const client = (tenant: string) => base.forTenant(tenant, base.defaults);
      const pointsOf = (sim: Simulator, n: number) =>
        reservablePoints(new OzmapClient({ baseUrl: sim.url, apiKey: SIM_API_KEY }), n, 60);
      const [pointsA, pointsB, pointsC] = await Promise.all([pointsOf(a!, 8), pointsOf(b!, 4), pointsOf(c!, 8)]);
      const request = (id: string, points: Array<{ lat: number; lng: number }>, i: number) => ({
        viabilityId: id,
        customer: { code: `C-${id}`, name: id },
        coordinates: { lat: points[i % points.length]!.lat, lng: points[i % points.length]!.lng },
      });

      const tenantA = client('tenant-a');
      const roundOfA = async (phase: string): Promise<number[]> => {
        const times: number[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          const started = performance.now();
          const state = await tenantA.reserve(request(`${phase}-${i}`, pointsA, i));
          times.push(performance.now() - started);
          if (state.status !== 'RESERVED') throw new Error(`A's ${phase}-${i} ended ${state.status}`);
          await tenantA.cancel(`${phase}-${i}`, { reason: 'isolation run' }); // its port free for the next round
        }
        return times;
      };

      await roundOfA('warm-up');
      const alone = await roundOfA('alone');
      say(`A alone: p50 ${percentile(alone, 50).toFixed(0)} ms, p90 ${percentile(alone, 90).toFixed(0)} ms`);

      await setFaults({ simUrl: b!.url }, { latencyMs: 120_000 });
      const tenantB = client('tenant-b');
      const tenantC = client('tenant-c');
      const startedAt = performance.now();
      await Promise.all([
        ...Array.from({ length: BROKEN }, (_, i) => tenantB.start(request(`B-${i}`, pointsB, i))),
        ...Array.from({ length: BURST }, (_, i) => tenantC.start(request(`C-${i}`, pointsC, i))),
      ]);
      say(`B: ${BROKEN} reservations on an OZmap that answers nothing; C: ${BURST} started at once`);
      const loaded = await roundOfA('loaded');
      const ratio = percentile(loaded, 50) / percentile(alone, 50);
      say(
        `A under load: p50 ${percentile(loaded, 50).toFixed(0)} ms, p90 ${percentile(loaded, 90).toFixed(0)} ms ` +
          `(${((performance.now() - startedAt) / 1000).toFixed(1)} s after the burst began)`,
      );
      say(`p50 ratio, A under load / A alone: ×${ratio.toFixed(2)} (bound ×${BOUND})`);
      return ratio <= BOUND ? 0 : 1;
    } finally {
      await worker.kill('SIGTERM');
    }
  } finally {
    await Promise.all(sims.map((sim) => sim.close()));
    await dev.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
