/**
 * The HTTP API needs neither the OZmap key nor the geocoder's (docs/security.md, "What each process is given"): started
 * as its own process without them, pointed at an OZmap it never calls, it serves a reservation (the worker, which has
 * the keys, talks to OZmap) and GET /v1/doctor, whose OZmap and geocoder lines come from the worker.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { WORKER_ONLY_SECRETS } from '../../config/env.ts';
import type { DoctorReport } from '../../doctor/index.ts';
import type { ReservationState } from '../../contract/schemas.ts';
import { findFreePort, isPortOpen } from '../../scripts/dev-server.ts';
import { projectRoot } from '../../scripts/temporal-tools.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { eventually, reservablePoints } from '../support/world.ts';

const API_KEY = 'api-without-keys-ispbox-key-0123';

describe('the HTTP API without the OZmap and geocoder keys', () => {
  let stack: Stack;
  let api: ChildProcess;
  let url: string;
  const output: string[] = [];

  before(async () => {
    stack = await startStack({ taskQueue: 'api-without-keys' });
    const port = await findFreePort();
    const env: NodeJS.ProcessEnv = {
      ...Object.fromEntries(
        Object.entries(stack.env).filter(([name]) => !(WORKER_ONLY_SECRETS as readonly string[]).includes(name)),
      ),
      // A real OZmap and Google as the geocoder: a worker would need both keys; the API needs neither.
      OZMAP_URL: 'https://isp-exemplo.ozmap.com.br:9994',
      GEOCODER_PROVIDER: 'google',
      ISPBOX_API_KEY: API_KEY,
      HTTP_PORT: String(port),
    };
    for (const secret of WORKER_ONLY_SECRETS) assert.equal(env[secret], undefined, `${secret} is not given`);
    api = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'api', 'main.ts')], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    api.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
    api.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
    url = `http://127.0.0.1:${port}`;
    await eventually(async () => {
      assert.equal(api.exitCode, null, `the API exited:\n${output.join('')}`);
      assert.ok(await isPortOpen('127.0.0.1', port), 'the API listens');
    }, 30_000);
  });
  after(async () => {
    api?.kill('SIGTERM');
    await stack?.stop();
  });

  const call = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${API_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  it('serves a reservation: the worker reserves it in OZmap', async () => {
    const [point] = await reservablePoints(stack.world.ozmap, 1);
    const viabilityId = `K-${randomUUID().slice(0, 8)}`;
    const created = await call('POST', '/v1/reservations', {
      viabilityId,
      customer: { code: 'C-K', name: 'Maria Souza' },
      coordinates: { lat: point!.lat, lng: point!.lng },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((created.body as ReservationState).status, 'RESERVED');
    const cancelled = await call('POST', `/v1/reservations/${viabilityId}/cancel`, {});
    assert.equal(cancelled.status, 202);
  });

  it('answers GET /v1/doctor with OZmap and geocoder lines checked by the worker', async () => {
    const { status, body } = await call('GET', '/v1/doctor');
    const report = body as DoctorReport;
    const line = (id: string) => report.checks.find((c) => c.id === id);
    assert.equal(line('ozmap.key')?.status, 'pass', JSON.stringify(report.checks, null, 1));
    assert.equal(line('geocoder.answers')?.status, 'pass');
    // The worker's OZmap is the simulator on loopback: the API's configured URL was never what was checked.
    assert.match(line('ozmap.transport')?.finding ?? '', /127\.0\.0\.1/);
    assert.equal(line('config.OZMAP_API_KEY'), undefined, 'the API is not asked for the OZmap key');
    assert.equal(status, report.ok ? 200 : 503);
  });
});
