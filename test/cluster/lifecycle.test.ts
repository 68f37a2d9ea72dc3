/**
 * A reservation's life through the HTTP API on the cluster (the cluster's own API, workers and simulator): reserve
 * and confirm, reserve and cancel, reserve and let a short hold expire; then the metrics of it in Prometheus.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { externalIdFor } from '../../contract/ids.ts';
import type { ReservationState } from '../../contract/schemas.ts';
import { SIM_API_KEY, doubleBookedPorts, eventually, propertiesOf, reservablePoints } from '../support/world.ts';
import { clusterInfo } from './support.ts';
import { secondsAsDays } from '../support/short-holds.ts';

const info = clusterInfo();
const sim = { simUrl: info.ozmapUrl };

async function api(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: ReservationState | undefined }> {
  const res = await fetch(new URL(path, info.apiUrl), {
    method,
    headers: {
      authorization: `Bearer ${info.ispboxApiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as ReservationState | undefined };
}

async function promQuery(query: string): Promise<number> {
  const res = await fetch(new URL(`/api/v1/query?query=${encodeURIComponent(query)}`, info.prometheusUrl));
  const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
  return Number(body.data.result[0]?.value[1] ?? 0);
}

describe('reservation life through the HTTP API on the cluster', () => {
  let ozmap: OzmapClient;
  let points: Array<{ lat: number; lng: number }>;
  before(async () => {
    ozmap = new OzmapClient({ baseUrl: info.ozmapUrl, apiKey: SIM_API_KEY, timeoutMs: 5000 });
    points = await reservablePoints(ozmap, 3, 150);
  });
  after(async () => ozmap?.close());

  const reserve = async (i: number, extra: Record<string, unknown> = {}) => {
    const viabilityId = `CL-${randomUUID().slice(0, 8)}`;
    const res = await api('POST', '/v1/reservations', {
      viabilityId,
      customer: { code: viabilityId, name: 'Cliente Cluster' },
      coordinates: { lat: points[i]!.lat, lng: points[i]!.lng },
      ...extra,
    });
    assert.ok(res.status < 300, `POST /v1/reservations answered ${res.status}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body?.status, 'RESERVED');
    assert.equal((await propertiesOf(sim, externalIdFor(viabilityId))).length, 1);
    return viabilityId;
  };
  const finalStatus = (id: string, status: string, timeoutMs = 30_000) =>
    eventually(async () => {
      const res = await api('GET', `/v1/reservations/${id}`);
      assert.equal(res.body?.status, status);
      return res.body;
    }, timeoutMs);

  it('reserve then confirm: INSTALLED, the client implanted', async () => {
    const id = await reserve(0);
    assert.equal((await api('POST', `/v1/reservations/${id}/confirm`, { note: 'instalado' })).status, 202);
    await finalStatus(id, 'INSTALLED');
    const [property] = await propertiesOf(sim, externalIdFor(id));
    assert.equal(property?.client?.implanted, true);
  });

  it('reserve then cancel: CANCELLED, the port free again', async () => {
    const id = await reserve(1);
    assert.equal((await api('POST', `/v1/reservations/${id}/cancel`, { reason: 'desistiu' })).status, 202);
    await finalStatus(id, 'CANCELLED');
    assert.deepEqual(await propertiesOf(sim, externalIdFor(id)), []);
  });

  it('reserve with a 6-second hold: EXPIRED on time, the port released', async () => {
    const t0 = Date.now();
    const id = await reserve(2, { holdDays: secondsAsDays(6) });
    const state = await finalStatus(id, 'EXPIRED', 60_000);
    const late = Date.now() - Date.parse(state.reservation!.expiresAt);
    assert.deepEqual(await propertiesOf(sim, externalIdFor(id)), []);
    assert.ok(late < 20_000, `expired ${late} ms after expiresAt`);
    console.log(`# expired ${((Date.now() - t0) / 1000).toFixed(1)} s after the request (${late} ms after expiresAt)`);
    assert.deepEqual(await doubleBookedPorts(sim), []);
  });

  it('Prometheus has the workers and the API metrics of these reservations', async () => {
    await eventually(async () => {
      assert.ok(
        (await promQuery('sum(ozres_reservations_started_total{job="worker"})')) >= 3,
        'ozres_reservations_started_total >= 3',
      );
      assert.ok(
        (await promQuery('sum(ozres_reservations_finished_total{job="worker"})')) >= 3,
        'ozres_reservations_finished_total >= 3',
      );
      assert.ok(
        (await promQuery('sum(ozres_ozmap_requests_total{job="worker"})')) > 0,
        'ozres_ozmap_requests_total > 0',
      );
      assert.ok(
        (await promQuery('sum(ozres_api_requests_total{job="api",route="/v1/reservations"})')) >= 3,
        'ozres_api_requests_total >= 3',
      );
      assert.ok(
        (await promQuery('sum(temporal_num_pollers{job="worker-sdk",poller_type="workflow_task"})')) > 0,
        'temporal_num_pollers > 0',
      );
      assert.equal(await promQuery('count(up == 0) or vector(0)'), 0, 'every target up');
    }, 30_000);
  });
});
