/**
 * The API's Prometheus metrics show business volume (requests by route and status), so they are not open: off by
 * default; on the API's port only behind METRICS_TOKEN (the Ispbox key does not open them); or on a listener of their
 * own (HTTP_METRICS_ADDRESS), behind METRICS_TOKEN too when it is set. Their `tenant` label is the key's tenant,
 * never a value a caller invents; the worker's carry the tenant of each activity and of the OZmap calls it makes.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Context } from '@temporalio/activity';
import type { FastifyInstance } from 'fastify';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { activityMetricsInterceptor, tenantOfArgs } from '../../metrics/activity-interceptor.ts';
import { observeHttpClients } from '../../metrics/http-observer.ts';
import { createWorkerMetrics } from '../../metrics/worker.ts';
import { ConfigError, loadConfig } from '../../config/env.ts';
import { buildHttpServer } from '../../api/server.ts';
import { createHttpLogger, startHttpApi } from '../../api/main.ts';
import { findFreePort } from '../../scripts/dev-server.ts';
import { fakeReservations } from '../support/fake-reservations.ts';
import { json, startTestServer } from '../support/http-server.ts';

const KEY = 'metrics-test-ispbox-key-0123456789';
const TOKEN = 'metrics-test-token-0123456789';

const server = (env: Record<string, string> = {}): Promise<FastifyInstance> =>
  buildHttpServer({
    reservations: fakeReservations().reservations,
    config: loadConfig({ ISPBOX_API_KEY: KEY, LOG_LEVEL: 'silent', ...env }),
    logger: false,
  });
const metricsOf = (app: FastifyInstance, authorization?: string) =>
  app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });

describe('the API metrics are not open', () => {
  const closing: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const close of closing) await close();
  });

  it('off by default: /metrics is no route of the API', async () => {
    const app = await server();
    closing.push(() => app.close());
    await app.inject({ method: 'GET', url: '/healthz' });
    for (const authorization of [undefined, `Bearer ${KEY}`]) {
      const res = await metricsOf(app, authorization);
      assert.equal(res.statusCode, 404, res.body);
      assert.doesNotMatch(res.body, /ozres_api_requests_total/);
    }
  });

  it('with METRICS_TOKEN: on the API port behind that token only (the Ispbox key is refused)', async () => {
    const app = await server({ METRICS_TOKEN: TOKEN });
    closing.push(() => app.close());
    await app.inject({ method: 'GET', url: '/healthz' });
    for (const authorization of [undefined, `Bearer ${KEY}`, `Bearer ${TOKEN}x`, TOKEN]) {
      const res = await metricsOf(app, authorization);
      assert.equal(res.statusCode, 401, `${authorization}: ${res.body}`);
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm=/);
      assert.match(res.body, /METRICS_TOKEN/);
      assert.doesNotMatch(res.body, /ozres_api_requests_total/);
    }
    const res = await metricsOf(app, `Bearer ${TOKEN}`);
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /ozres_api_requests_total\{method="GET",route="\/healthz",status="\d+",tenant="none"\} 1/);
  });

  it('with HTTP_METRICS_ADDRESS: on that listener only, behind METRICS_TOKEN when set', async () => {
    for (const token of [undefined, TOKEN]) {
      const [apiPort, metricsPort] = [await findFreePort(), await findFreePort()];
      const config = loadConfig({
        ISPBOX_API_KEY: KEY,
        HTTP_PORT: String(apiPort),
        HTTP_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
        ...(token ? { METRICS_TOKEN: token } : {}),
      });
      const api = await startHttpApi(config, createHttpLogger('silent'));
      closing.push(() => api.close());
      await fetch(`${api.url}/healthz`).then((r) => r.body?.cancel());
      const onApiPort = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${token ?? KEY}` } });
      assert.equal(onApiPort.status, 404, 'not on the API port');
      await onApiPort.body?.cancel();
      const own = `http://127.0.0.1:${metricsPort}/metrics`;
      if (token) {
        const refused = await fetch(own, { headers: { authorization: `Bearer ${KEY}` } });
        assert.equal(refused.status, 401);
        assert.doesNotMatch(await refused.text(), /ozres_api/);
      }
      const res = await fetch(own, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      assert.equal(res.status, 200);
      assert.match(await res.text(), /ozres_api_requests_total\{method="GET",route="\/healthz"/);
    }
  });

  it('configuration: a listener off loopback needs METRICS_TOKEN; the token is a secret, never repeated', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ ISPBOX_API_KEY: KEY, ...env });
        return [];
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.problems;
      }
    };
    assert.ok(problems({ HTTP_METRICS_ADDRESS: '0.0.0.0:9464' }).some((p) => p.startsWith('HTTP_METRICS_ADDRESS:')));
    assert.deepEqual(problems({ HTTP_METRICS_ADDRESS: '0.0.0.0:9464', METRICS_TOKEN: TOKEN }), []);
    assert.deepEqual(problems({ HTTP_METRICS_ADDRESS: '127.0.0.1:9464' }), []);
    const short = problems({ METRICS_TOKEN: 'short-secret' });
    assert.ok(short.some((p) => p.startsWith('METRICS_TOKEN:')));
    assert.ok(
      short.every((p) => !p.includes('short-secret')),
      JSON.stringify(short),
    );
    assert.deepEqual(loadConfig({}).http.metrics, { address: undefined, token: undefined });
  });
});

describe('the tenant label', () => {
  it("the API labels a request with its key's tenant, `default` for ISPBOX_API_KEY, `none` for a key nobody holds", async () => {
    const app = await server({ METRICS_TOKEN: TOKEN });
    try {
      const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
      await app.inject({ method: 'GET', url: '/v1/reservations/V-1', headers: bearer(KEY) });
      for (let i = 0; i < 3; i++)
        await app.inject({
          method: 'GET',
          url: '/v1/reservations/V-1',
          headers: bearer(`invented-key-${i}-0123456789`),
        });
      const body = (await metricsOf(app, `Bearer ${TOKEN}`)).body;
      assert.match(
        body,
        /ozres_api_requests_total\{method="GET",route="\/v1\/reservations\/:viabilityId",status="\d+",tenant="default"\} 1/,
      );
      assert.match(body, /ozres_api_requests_total\{[^}]*status="401",tenant="none"\} 3/);
      assert.doesNotMatch(body, /invented-key/);
    } finally {
      await app.close();
    }
  });

  it('the worker counts a tenant\'s activity, and the OZmap requests it makes, under tenant="tenant-a"', async () => {
    const ozmapA = await startTestServer((_req, res) => json(res, 200, { authenticated: true }));
    const metrics = createWorkerMetrics();
    const observer = observeHttpClients(metrics, { ozmapUrl: 'http://127.0.0.1:1', geocoderUrl: 'http://127.0.0.1:2' });
    observer.watchOzmap(ozmapA.url);
    const ctx = { info: { activityType: 'reservePort' } } as unknown as Context;
    const { inbound } = activityMetricsInterceptor(metrics)(ctx);
    const execute = (args: unknown[], fn: () => Promise<unknown>) =>
      inbound!.execute!({ args, headers: {} }, () => fn());
    try {
      const client = new OzmapClient({ baseUrl: ozmapA.url, apiKey: 'key-1234' });
      await execute([{ viabilityId: 'V-1', tenantId: 'tenant-a' }], async () => {
        await client.checkKey();
        return { outcome: 'port-taken' };
      });
      await execute([{ viabilityId: 'V-2' }], () => Promise.reject(new Error('boom'))).catch(() => undefined);
      await client.close();
      const text = await metrics.registry.metrics();
      assert.match(text, /ozres_activities_total\{activity="reservePort",outcome="completed",tenant="tenant-a"\} 1/);
      assert.match(text, /ozres_activities_total\{activity="reservePort",outcome="failed",tenant="default"\} 1/);
      assert.match(text, /ozres_port_conflicts_total\{tenant="tenant-a"\} 1/);
      assert.match(text, /ozres_ozmap_requests_total\{[^}]*outcome="2xx",tenant="tenant-a"\} 1/);
      assert.match(text, /ozres_activity_duration_seconds_count\{activity="reservePort",tenant="tenant-a"\} 1/);
      // A value that is no tenant id never becomes a label value of its own.
      assert.equal(tenantOfArgs([{ tenantId: 'Not An Id' }]), 'other');
      assert.equal(tenantOfArgs([{ type: 'x' }, { tenantId: 'tenant-b' }]), 'tenant-b');
    } finally {
      observer.stop();
      await ozmapA.close();
    }
  });
});
