/**
 * One tenant's broken OZmap and another's burst must not slow a third (docs/tenants.md, "Isolation"): what
 * `npm run test:isolation` prints and test/e2e/isolation.test.ts bounds. On a dev server with Priority and Fairness, a
 * worker process with the tenant registry, and a simulator per tenant: tenant A reserves `rounds` times alone, one
 * after another; then, while B's OZmap answers nothing (every request held open past the worker's timeout) for
 * `broken` reservations of B and C starts `burst` reservations at once, A reserves `rounds` times again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import proto from '@temporalio/proto'; // CommonJS: no named ESM exports
import { workflowIdFor } from '../../contract/ids.ts';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { ReservationsClient } from '../../client/reservations.ts';
import { loadConfig } from '../../config/env.ts';
import { openRegistry } from '../../registry/open.ts';
import { FAIRNESS_DYNAMIC_CONFIG } from '../../scripts/dev-server.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { spawnWorker } from '../support/stack.ts';
import { createDevServerEnv } from '../support/temporal.ts';
import { SIM_API_KEY, reservablePoints, setFaults } from '../support/world.ts';

export interface IsolationOptions {
  rounds: number;
  burst: number;
  broken: number;
  /** false: the server as it comes, to weigh what Priority and Fairness change. */
  fairness: boolean;
  log?: (line: string) => void;
}

export interface IsolationResult {
  /** A's reservation times, in milliseconds, alone and under load. */
  alone: number[];
  loaded: number[];
  /** p50 under load / p50 alone. */
  ratio: number;
  /** From the burst's start to A's last reservation under load. */
  loadedSeconds: number;
  /** The last loaded reservation of A: each event of its history, ms after the first. */
  timeline: string[];
}

const TASK_QUEUE = 'isolation';

export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

export async function measureIsolation(options: IsolationOptions): Promise<IsolationResult> {
  const { rounds, burst, broken } = options;
  const log = options.log ?? (() => {});
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ispbox-ozmap-isolation-'));
  const sims: Simulator[] = [];
  const dev = await createDevServerEnv({
    dynamicConfig: options.fairness ? FAIRNESS_DYNAMIC_CONFIG : {},
    log: () => {},
  });
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
        for (let i = 0; i < rounds; i++) {
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

      await setFaults({ simUrl: b!.url }, { latencyMs: 120_000 });
      const tenantB = client('tenant-b');
      const tenantC = client('tenant-c');
      const startedAt = performance.now();
      await Promise.all([
        ...Array.from({ length: broken }, (_, i) => tenantB.start(request(`B-${i}`, pointsB, i))),
        ...Array.from({ length: burst }, (_, i) => tenantC.start(request(`C-${i}`, pointsC, i))),
      ]);
      log(`B: ${broken} reservations on an OZmap that answers nothing; C: ${burst} started at once`);
      const loaded = await roundOfA('loaded');
      const ratio = percentile(loaded, 50) / percentile(alone, 50);
      const loadedSeconds = (performance.now() - startedAt) / 1000;
      const history = await dev.env.client.workflow
        .getHandle(workflowIdFor(`loaded-${rounds - 1}`, 'tenant-a'))
        .fetchHistory();
      const events = history.events ?? [];
      const ms = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + (e.eventTime!.nanos ?? 0) / 1e6;
      const t0 = ms(events[0]!);
      const timeline = events.map(
        (e) => `+${(ms(e) - t0).toFixed(0).padStart(6)} ms ${proto.temporal.api.enums.v1.EventType[e.eventType ?? 0]}`,
      );
      return { alone, loaded, ratio, loadedSeconds, timeline };
    } finally {
      await worker.kill('SIGTERM');
    }
  } finally {
    await Promise.all(sims.map((sim) => sim.close()));
    await dev.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
