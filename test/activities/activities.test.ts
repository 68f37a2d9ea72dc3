/**
 * The activities with their real OZmap client against the real simulator over loopback. The exact request bodies
 * are captured on the wire and parsed with the official SDK's DTO schemas; HTTP calls are counted.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { Agent, type Dispatcher } from 'undici';
import { createActivities, freePorts, type MovePortInput, type ReservePortInput } from '../../activities/index.ts';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { NominatimGeocoder } from '../../activities/geocoder/nominatim.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { ISOLATED_BOX } from '../../simulator/network.ts';
import { externalIdFor } from '../../contract/ids.ts';
import { pickAutomatic } from '../../workflows/reservation/decisions.ts';
import {
  SIM_API_KEY,
  CENTRE,
  filterQuery,
  propertiesOf,
  reservablePoints,
  setFaults,
  simGet,
} from '../support/world.ts';
import { distanceMeters } from '../../activities/geo.ts';
import { json, startTestServer } from '../support/http-server.ts';
import { sdk } from '../support/ozmap-sdk.ts';

interface Sent {
  method: string;
  path: string;
  body?: unknown;
}

/** An undici dispatcher that records every request it sends on to the real server. */
function recordingDispatcher(sent: Sent[]): Dispatcher {
  return new Agent().compose((dispatch) => (opts, handler) => {
    sent.push({
      method: opts.method,
      path: opts.path,
      body: typeof opts.body === 'string' ? (JSON.parse(opts.body) as unknown) : undefined,
    });
    return dispatch(opts, handler);
  });
}

/** MockActivityEnvironment.run, typed by the activity it runs. */
const run = <A extends unknown[], R>(
  env: MockActivityEnvironment,
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> => env.run<A, R, (...args: A) => Promise<R>>(fn, ...args);

describe('activities against the simulator', () => {
  let sim: Simulator;
  let sent: Sent[];
  let activities: ReturnType<typeof createActivities>;
  const env = new MockActivityEnvironment();
  let ozmap: OzmapClient;

  before(async () => {
    sim = await startSimulator({ port: 0, apiKey: SIM_API_KEY });
    sent = [];
    ozmap = new OzmapClient({ baseUrl: sim.url, apiKey: SIM_API_KEY, dispatcher: recordingDispatcher(sent) });
    activities = createActivities({
      ozmap,
      geocoder: new NominatimGeocoder({ url: sim.url, userAgent: 'tests', minIntervalMs: 0 }),
    });
  });
  after(async () => {
    await ozmap.close();
    await sim.close();
  });
  beforeEach(() => {
    sent.length = 0;
  });

  const reserveInput = async (viabilityId: string, near = CENTRE): Promise<ReservePortInput> => {
    const candidates = (await run(env, activities.surveyBoxes, { ...near, radiusMeters: 250 })).candidates;
    const choice = pickAutomatic(candidates);
    assert.ok(choice, 'a free port near the point');
    sent.length = 0;
    return {
      viabilityId,
      customer: { code: `C-${viabilityId}`, name: 'Maria Souza' },
      address: 'Rua Bocaiúva, 2125, Florianópolis - SC',
      coordinates: near,
      choice,
      firstRound: false,
      radiusMeters: 250,
    };
  };

  it('surveyBoxes: two calls, nearest first, only drop splitters of boxes not "Em projeto", free ports as OZmap shows them', async () => {
    const candidates = (await run(env, activities.surveyBoxes, { ...CENTRE, radiusMeters: 250 })).candidates;
    assert.equal(sent.length, 2, 'one boxes query and one splitters query');
    assert.ok(candidates.length > 0);
    const distances = candidates.map((c) => c.distanceMeters);
    assert.deepEqual(
      distances,
      [...distances].sort((a, b) => a - b),
    );
    assert.ok(distances.every((d) => d <= 250));
    for (const c of candidates.slice(0, 5)) {
      const box = await simGet<{ draft: boolean; project: string }>({ simUrl: sim.url }, `/api/v2/boxes/${c.boxId}`);
      assert.equal(box.draft, false);
      assert.equal(c.projectId, box.project);
      for (const s of c.splitters) {
        const raw = await simGet<{
          isDrop: boolean;
          connectables: { output: Array<string | null> };
          ports: Array<{ blocked: boolean }>;
        }>({ simUrl: sim.url }, `/api/v2/splitters/${s.splitterId}`);
        assert.equal(raw.isDrop, true);
        assert.deepEqual(
          s.freePorts,
          freePorts({ output: raw.connectables.output, blocked: raw.ports.map((p) => p.blocked) }),
        );
      }
    }
  });

  it('surveyBoxes: the same candidates in the same two calls, plus the boxes in the radius that cannot take anyone', async () => {
    const candidates = (await run(env, activities.surveyBoxes, { ...CENTRE, radiusMeters: 400 })).candidates;
    sent.length = 0;
    const survey = await run(env, activities.surveyBoxes, { ...CENTRE, radiusMeters: 400 });
    assert.equal(sent.length, 2, 'one boxes query and one splitters query');
    assert.deepEqual(survey.candidates, candidates);
    assert.ok(
      survey.unavailable.some((b) => b.reason === 'in-design'),
      'a box "Em projeto" in 400 m of the centre',
    );
    assert.ok(
      survey.unavailable.some((b) => b.reason === 'no-free-port'),
      'a full box in 400 m of the centre',
    );
    const candidateIds = new Set(candidates.map((c) => c.boxId));
    for (const b of survey.unavailable) {
      assert.ok(!candidateIds.has(b.boxId), `${b.boxName} is not both a candidate and unavailable`);
      assert.ok(b.distanceMeters <= 400);
      const box = await simGet<{ draft: boolean }>({ simUrl: sim.url }, `/api/v2/boxes/${b.boxId}`);
      assert.equal(box.draft, b.reason === 'in-design', `${b.boxName}: draft ⇔ in-design`);
      if (b.reason === 'no-free-port') {
        const page = await simGet<{
          rows: Array<{
            isDrop: boolean;
            connectables: { output: Array<string | null> };
            ports: Array<{ blocked: boolean }>;
          }>;
        }>(
          { simUrl: sim.url },
          `/api/v2/splitters?${filterQuery([{ property: 'parent', operator: '=', value: b.boxId }])}`,
        );
        const drop = page.rows.filter((s) => s.isDrop);
        assert.ok(drop.length > 0, `${b.boxName} has service splitters`);
        assert.ok(
          drop.every(
            (s) => freePorts({ output: s.connectables.output, blocked: s.ports.map((p) => p.blocked) }).length === 0,
          ),
          `${b.boxName} has no free port`,
        );
      }
    }
  });

  it('reservePort: the body parses with the SDK DTO, two calls, and a retry finds its own property instead of creating another', async () => {
    const input = await reserveInput('A-1');
    const first = await run(env, activities.reservePort, input);
    assert.equal(first.outcome, 'reserved');
    assert.deepEqual(
      sent.map((s) => s.method),
      ['GET', 'POST'],
      'look-up by external_id, then create',
    );
    const post = sent.find((s) => s.method === 'POST')!;
    const dto = sdk.CreatePropertyDTOSchema.safeParse(post.body);
    assert.ok(dto.success, JSON.stringify(dto.error?.issues));
    assert.equal((post.body as { external_id: string }).external_id, externalIdFor('A-1'));

    sent.length = 0;
    const again = await run(env, activities.reservePort, input);
    assert.deepEqual(again, first);
    assert.deepEqual(
      sent.map((s) => s.method),
      ['GET'],
      'no second POST',
    );
    assert.equal((await propertiesOf({ simUrl: sim.url }, externalIdFor('A-1'))).length, 1);
  });

  it('a first reservation with coordinates makes three OZmap calls on the wire: search twice, create once', async () => {
    const near = { lat: CENTRE.lat + 0.002, lng: CENTRE.lng + 0.002 };
    sim.stats.reset();
    const input = await reserveInput('A-0', near);
    const reserved = await run(env, activities.reservePort, { ...input, firstRound: true });
    assert.equal(reserved.outcome, 'reserved');
    const stats = sim.stats.snapshot();
    assert.equal(stats.totalRequests, 3, JSON.stringify(stats.requests));
    assert.deepEqual(stats.requests, {
      'GET /api/v2/boxes': 1,
      'GET /api/v2/splitters': 1,
      'POST /api/v2/properties': 1,
    });
    assert.equal((await propertiesOf({ simUrl: sim.url }, externalIdFor('A-0'))).length, 1);
  });

  it('reservePort survives a response lost after OZmap created the property', async () => {
    // The first attempt of the first round does not look up; its retry (attempt 2) must.
    const input = { ...(await reserveInput('A-2', { lat: CENTRE.lat + 0.004, lng: CENTRE.lng })), firstRound: true };
    await setFaults({ simUrl: sim.url }, { resetRate: 1, phase: 'after', methods: ['POST'] });
    await assert.rejects(
      run(env, activities.reservePort, input),
      (err: unknown) =>
        err instanceof ApplicationFailure &&
        err.type === 'OZmapNetworkError' &&
        !err.nonRetryable &&
        /POST/.test(err.message),
    );
    assert.equal(
      (await propertiesOf({ simUrl: sim.url }, externalIdFor('A-2'))).length,
      1,
      'OZmap created it although the answer was lost',
    );
    await setFaults(
      { simUrl: sim.url },
      { resetRate: 0, phase: 'before', methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'] },
    );
    assert.deepEqual(
      sent.map((x) => x.method),
      ['POST'],
      'no look-up on the first attempt of the first round',
    );
    sent.length = 0;
    const retried = await run(new MockActivityEnvironment({ attempt: 2 }), activities.reservePort, input);
    assert.equal(retried.outcome, 'reserved');
    assert.deepEqual(
      sent.map((x) => x.method),
      ['GET'],
      'the retry found it and did not POST again',
    );
    assert.equal((await propertiesOf({ simUrl: sim.url }, externalIdFor('A-2'))).length, 1, 'still exactly one client');
  });

  it('reservePort reports a port taken meanwhile as a typed outcome, never forcing it', async () => {
    const input = await reserveInput('A-3', { lat: CENTRE.lat - 0.004, lng: CENTRE.lng });
    assert.equal(
      (await run(env, activities.reservePort, { ...input, viabilityId: 'A-3-someone-else' })).outcome,
      'reserved',
    );
    const taken = await run(env, activities.reservePort, input);
    assert.equal(taken.outcome, 'port-taken');
    assert.deepEqual(await propertiesOf({ simUrl: sim.url }, externalIdFor('A-3')), []);
  });

  it('reservePort refuses a blocked port of the isolated box as taken', async () => {
    const box = (
      await simGet<{ rows: Array<{ id: string; name: string; coords: [number, number] }> }>(
        { simUrl: sim.url },
        `/api/v2/boxes?${filterQuery([{ property: 'name', operator: '=', value: ISOLATED_BOX.name }])}`,
      )
    ).rows[0]!;
    const splitters = await ozmap.findDropSplitters([box.id]);
    const [blocked] = ISOLATED_BOX.blockedPorts;
    const result = await run(env, activities.reservePort, {
      viabilityId: 'A-4',
      customer: { code: 'C', name: 'N' },
      address: '',
      coordinates: { lat: box.coords[1], lng: box.coords[0] },
      choice: {
        boxId: box.id,
        boxName: box.name,
        splitterId: splitters[0]!.id,
        splitterName: splitters[0]!.name,
        port: blocked,
      },
      firstRound: true,
      radiusMeters: 250,
    });
    assert.equal(result.outcome, 'port-taken');
  });

  it('movePort: one PATCH whose body parses with the SDK DTO; a retry is a no-op; a taken target is port-taken', async () => {
    const input = await reserveInput(`V-MOVE-${Date.now()}`);
    const reserved = await run(env, activities.reservePort, input);
    assert.equal(reserved.outcome, 'reserved');
    if (reserved.outcome !== 'reserved') return;
    const candidates = (await run(env, activities.surveyBoxes, { ...CENTRE, radiusMeters: 250 })).candidates;
    const box = candidates.find((c) => c.boxId !== reserved.boxId)!;
    const splitter = box.splitters[0]!;
    const [port, otherPort] = splitter.freePorts as [number, number];
    const at = (p: number) => ({
      ...box,
      splitterId: splitter.splitterId,
      splitterName: splitter.splitterName,
      port: p,
    });
    const move: MovePortInput = { propertyId: reserved.propertyId, from: input.choice, to: at(port) };
    sent.length = 0;
    const moved = await run(env, activities.movePort, move);
    assert.deepEqual(moved, { outcome: 'moved', boxId: box.boxId, splitterId: splitter.splitterId, port });
    assert.deepEqual(
      sent.map((r) => r.method),
      ['PATCH'],
      'one call: the answer shows the port',
    );
    assert.ok(sdk.UpdatePropertyDTOSchema.safeParse(sent[0]!.body).success, JSON.stringify(sent[0]!.body));
    assert.deepEqual(await run(env, activities.movePort, move), moved, 'a retry finds it already there');
    const old = await ozmap.getSplitter(input.choice.splitterId);
    assert.equal(old!.output[input.choice.port - 1], null, 'the old port is free');
    // Someone else on the next target: refused, re-read, typed; the property stays where it was.
    const other = await reserveInput(`V-MOVE-X-${Date.now()}`);
    const taken = await run(env, activities.reservePort, { ...other, choice: { ...other.choice, ...at(otherPort) } });
    assert.equal(taken.outcome, 'reserved');
    const refused = await run(env, activities.movePort, { ...move, to: at(otherPort) });
    assert.equal(refused.outcome, 'port-taken');
    const property = await ozmap.getProperty(reserved.propertyId);
    assert.deepEqual([property!.connection?.id, property!.connection?.port], [splitter.splitterId, port]);
  });

  it('confirmInstallation: one PATCH whose body parses with the SDK DTO', async () => {
    const input = await reserveInput('A-5', { lat: CENTRE.lat, lng: CENTRE.lng + 0.004 });
    const reserved = await run(env, activities.reservePort, input);
    assert.equal(reserved.outcome, 'reserved');
    sent.length = 0;
    assert.deepEqual(
      await run(env, activities.confirmInstallation, { propertyId: reserved.propertyId, clientId: reserved.clientId }),
      { outcome: 'confirmed' },
    );
    assert.equal(sent.length, 1);
    assert.ok(sdk.UpdateFTTHClientDTOSchema.safeParse(sent[0]!.body).success);
    // Releasing an implanted client never deletes it.
    assert.deepEqual(
      await run(env, activities.releasePort, { propertyId: reserved.propertyId, clientId: reserved.clientId }),
      { outcome: 'installed' },
    );
    assert.equal((await propertiesOf({ simUrl: sim.url }, externalIdFor('A-5'))).length, 1);
  });

  it('releasePort frees the port in three calls, and a second release of what is gone succeeds', async () => {
    const input = await reserveInput('A-6', { lat: CENTRE.lat, lng: CENTRE.lng - 0.004 });
    const reserved = await run(env, activities.reservePort, input);
    assert.equal(reserved.outcome, 'reserved');
    sent.length = 0;
    const ref = { propertyId: reserved.propertyId, clientId: reserved.clientId };
    assert.deepEqual(await run(env, activities.releasePort, ref), { outcome: 'released' });
    assert.deepEqual(
      sent.map((s) => s.method),
      ['GET', 'DELETE', 'DELETE'],
    );
    const splitter = await ozmap.getSplitter(reserved.splitterId);
    assert.equal(splitter!.output[reserved.port - 1], null);
    assert.deepEqual(await run(env, activities.releasePort, ref), { outcome: 'already-released' });
  });

  it('releasePort with a sweep and no duplicate: still three calls, the marker query in place of the read by id', async () => {
    const input = await reserveInput('A-10', { lat: CENTRE.lat - 0.004, lng: CENTRE.lng - 0.004 });
    const reserved = await run(env, activities.reservePort, { ...input, firstRound: true });
    assert.equal(reserved.outcome, 'reserved');
    sent.length = 0;
    const sweep = { viabilityId: 'A-10', customerCode: 'C-A-10' };
    const ref = { propertyId: reserved.propertyId, clientId: reserved.clientId, sweep };
    assert.deepEqual(await run(env, activities.releasePort, ref), { outcome: 'released' });
    assert.deepEqual(
      sent.map((s) => `${s.method} ${s.path.split('?')[0]}`),
      [
        'GET /api/v2/properties',
        `DELETE /api/v2/properties/${reserved.propertyId}`,
        `DELETE /api/v2/ftth-clients/${reserved.clientId}`,
      ],
    );
  });

  /** The held reservation and a second property with the same marker, as a create that landed late leaves it. */
  const heldAndDuplicate = async (viabilityId: string, near: { lat: number; lng: number }) => {
    const held = await run(env, activities.reservePort, {
      ...(await reserveInput(viabilityId, near)),
      firstRound: true,
    });
    // A first-round first attempt does not look up: on the next free port it makes the duplicate a late create would.
    const late = await run(env, activities.reservePort, {
      ...(await reserveInput(viabilityId, near)),
      firstRound: true,
    });
    assert.ok(held.outcome === 'reserved' && late.outcome === 'reserved' && held.propertyId !== late.propertyId);
    assert.equal((await propertiesOf({ simUrl: sim.url }, externalIdFor(viabilityId))).length, 2);
    sent.length = 0;
    return { held, late, marker: { viabilityId, customerCode: `C-${viabilityId}` } };
  };

  it('sweepDuplicates releases every other marked property, keeps the held one and never deletes an implanted one', async () => {
    const { held, late, marker } = await heldAndDuplicate('A-7', { lat: CENTRE.lat + 0.006, lng: CENTRE.lng });
    const implanted = await run(env, activities.reservePort, {
      ...(await reserveInput('A-7', { lat: CENTRE.lat + 0.006, lng: CENTRE.lng })),
      firstRound: true,
    });
    assert.equal(implanted.outcome, 'reserved');
    await ozmap.setClientImplanted(implanted.clientId);
    sent.length = 0;
    const swept = await run(env, activities.sweepDuplicates, { ...marker, keep: { propertyId: held.propertyId } });
    assert.deepEqual(swept, { released: 1, implanted: 1, suspect: 0 });
    const left = (await propertiesOf({ simUrl: sim.url }, externalIdFor('A-7'))).map((p) => p.id).sort();
    assert.deepEqual(left, [held.propertyId, implanted.propertyId].sort());
    assert.equal(
      (await ozmap.getSplitter(late.splitterId))!.output[late.port - 1],
      null,
      "the duplicate's port is free",
    );
  });

  it('confirmInstallation with a sweep releases the duplicate before implanting the held client', async () => {
    const { held, marker } = await heldAndDuplicate('A-8', { lat: CENTRE.lat - 0.006, lng: CENTRE.lng });
    const ref = { propertyId: held.propertyId, clientId: held.clientId, sweep: marker };
    assert.deepEqual(await run(env, activities.confirmInstallation, ref), { outcome: 'confirmed' });
    const left = await propertiesOf({ simUrl: sim.url }, externalIdFor('A-8'));
    assert.deepEqual(
      left.map((p) => [p.id, p.client?.implanted]),
      [[held.propertyId, true]],
    );
  });

  it('releasePort with a sweep releases the duplicate too; the held property comes from the same query', async () => {
    const { held, marker } = await heldAndDuplicate('A-9', { lat: CENTRE.lat, lng: CENTRE.lng + 0.006 });
    const ref = { propertyId: held.propertyId, clientId: held.clientId, sweep: marker };
    assert.deepEqual(await run(env, activities.releasePort, ref), { outcome: 'released' });
    assert.deepEqual(await propertiesOf({ simUrl: sim.url }, externalIdFor('A-9')), []);
    assert.deepEqual(
      sent.map((s) => s.method),
      ['GET', 'DELETE', 'DELETE', 'DELETE', 'DELETE'],
      'one look-up, then property and client of the duplicate and of the held reservation',
    );
    sent.length = 0;
    assert.deepEqual(await run(env, activities.releasePort, ref), { outcome: 'already-released' });
  });

  /**
   * A property planted by someone with write access to OZmap: the viability's marker on the nearest free port of
   * `at`, with the client given (`externalId` its marker, if any; `client: null` none at all).
   */
  const plant = async (
    viabilityId: string,
    at: { lat: number; lng: number },
    client: { code: string; externalId?: string; implanted?: boolean } | null,
  ): Promise<{ propertyId: string; clientId?: string }> => {
    const choice = pickAutomatic((await run(env, activities.surveyBoxes, { ...at, radiusMeters: 250 })).candidates)!;
    const res = await fetch(new URL('/api/v2/properties', sim.url), {
      method: 'POST',
      headers: { authorization: SIM_API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        box: choice.boxId,
        connector: choice.splitterId,
        port: choice.port,
        auto_connect: false,
        force: false,
        coords: [at.lng, at.lat],
        address: 'Rua Plantada, 1',
        external_id: externalIdFor(viabilityId),
        ...(client && {
          client: {
            code: client.code,
            name: 'Someone Else',
            implanted: false,
            ...(client.externalId !== undefined && { external_id: client.externalId }),
          },
        }),
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const body = (await res.json()) as { id: string; client: { id: string } | null };
    if (client?.implanted) assert.ok(await ozmap.setClientImplanted(body.client!.id));
    sent.length = 0;
    return { propertyId: body.id, ...(body.client && { clientId: body.client.id }) };
  };

  /** Two box points with free ports: `far` the farthest from `home` of the first few, at least `meters` away. */
  const pointsApart = async (meters: number) => {
    const points = await reservablePoints(ozmap, 40);
    const home = points[0]!;
    const far = points.reduce((a, b) => (distanceMeters(home, b) > distanceMeters(home, a) ? b : a));
    assert.ok(distanceMeters(home, far) >= meters, `two boxes ${meters} m apart`);
    return { home: { lat: home.lat, lng: home.lng }, far: { lat: far.lat, lng: far.lng } };
  };

  /** Each planted property and its client are still in OZmap, as planted. */
  const untouched = async (planted: Array<{ propertyId: string; clientId?: string }>) => {
    for (const p of planted) {
      const property = await ozmap.getProperty(p.propertyId);
      assert.ok(property, `planted property ${p.propertyId} kept`);
      assert.equal(property.client?.id, p.clientId, `planted property ${p.propertyId} keeps its client`);
      if (p.clientId) assert.ok(await ozmap.getClient(p.clientId), `planted client ${p.clientId} kept`);
    }
  };

  it('reservePort after its first attempt never adopts a planted property: not our client, implanted, or outside the radius', async () => {
    const { home, far } = await pointsApart(600);
    const viabilityId = 'A-M2';
    const marker = externalIdFor(viabilityId);
    const code = `C-${viabilityId}`;
    const planted = [
      // The review's case: far outside the radius, someone else's implanted client.
      await plant(viabilityId, far, { code: 'K-1', implanted: true }),
      // Every mark of ours, but on a box outside the radius.
      await plant(viabilityId, far, { code, externalId: marker }),
      // Near the customer (on the splitter the reserve will choose), but the client is not ours.
      await plant(viabilityId, home, { code, externalId: 'crm:1' }),
      await plant(viabilityId, home, { code: 'K-2', externalId: marker }),
      await plant(viabilityId, home, null),
      // Ours in every mark and near, but implanted: never a reservation in the making.
      await plant(viabilityId, home, { code, externalId: marker, implanted: true }),
    ];
    const input = { ...(await reserveInput(viabilityId, home)), radiusMeters: 250 };
    const reserved = await run(new MockActivityEnvironment({ attempt: 2 }), activities.reservePort, input);
    assert.equal(reserved.outcome, 'reserved');
    if (reserved.outcome !== 'reserved') return;
    assert.ok(
      !planted.some((p) => p.propertyId === reserved.propertyId),
      `adopted planted property ${reserved.propertyId}`,
    );
    assert.deepEqual(
      [reserved.splitterId, reserved.port],
      [input.choice.splitterId, input.choice.port],
      'its own client on the chosen port',
    );
    const own = await ozmap.getProperty(reserved.propertyId);
    assert.equal(own?.client?.code, code);
    await untouched(planted);
    assert.deepEqual(
      reserved.leftAlone,
      [
        'its client does not carry the marker',
        'it is outside the 250 m radius',
        'its client does not carry the marker',
        "its client's code is not the customer's",
        'it has no client',
      ].map((why, i) => ({ propertyId: planted[i]!.propertyId, why })),
      'each planted property reported with the reason, up to five',
    );
  });

  it('reservePort in a later round adopts its own earlier create on another box within the radius', async () => {
    const { home } = await pointsApart(0);
    const viabilityId = 'A-M2-own';
    const first = await reserveInput(viabilityId, home);
    // An earlier round's create that landed (as a late create does) on the port that round chose.
    const earlier = await run(env, activities.reservePort, { ...first, firstRound: true });
    assert.equal(earlier.outcome, 'reserved');
    if (earlier.outcome !== 'reserved') return;
    const candidates = (await run(env, activities.surveyBoxes, { ...home, radiusMeters: 250 })).candidates;
    const other = candidates.find((c) => c.boxId !== earlier.boxId)!;
    const splitter = other.splitters[0]!;
    const choice = {
      ...other,
      splitterId: splitter.splitterId,
      splitterName: splitter.splitterName,
      port: splitter.freePorts[0]!,
    };
    sent.length = 0;
    const later = await run(env, activities.reservePort, { ...first, choice, radiusMeters: 250 });
    assert.equal(later.outcome === 'reserved' && later.propertyId, earlier.propertyId, 'its own earlier create');
    assert.ok(!sent.some((s) => s.method === 'POST'), 'no second create');
    assert.equal((await propertiesOf({ simUrl: sim.url }, externalIdFor(viabilityId))).length, 1);
  });

  it('sweeps release only duplicates of ours: a marked property whose client is not ours, or that has none, is left whole', async () => {
    const { held, late, marker } = await heldAndDuplicate('A-11', { lat: CENTRE.lat + 0.006, lng: CENTRE.lng + 0.006 });
    const near = { lat: CENTRE.lat + 0.006, lng: CENTRE.lng + 0.006 };
    const markerId = externalIdFor('A-11');
    const planted = [
      await plant('A-11', near, { code: marker.customerCode }),
      await plant('A-11', near, { code: marker.customerCode, externalId: 'crm:9' }),
      await plant('A-11', near, { code: 'K-3', externalId: markerId }),
      await plant('A-11', near, null),
    ];
    const swept = await run(env, activities.sweepDuplicates, { ...marker, keep: { propertyId: held.propertyId } });
    assert.deepEqual(swept, { released: 1, implanted: 0, suspect: 4 });
    assert.equal(await ozmap.getProperty(late.propertyId), null, 'the duplicate of ours is released');
    await untouched(planted);
    // Confirm and release sweep with the same rule; the release frees only the held reservation.
    const ref = { propertyId: held.propertyId, clientId: held.clientId, sweep: marker };
    assert.deepEqual(await run(env, activities.releasePort, ref), { outcome: 'released' });
    await untouched(planted);
    assert.deepEqual(
      (await propertiesOf({ simUrl: sim.url }, markerId)).map((p) => p.id).sort(),
      planted.map((p) => p.propertyId).sort(),
    );
  });

  it("releasePort leaves the held property whole when OZmap shows another client on it, one that is not the reservation's", async () => {
    const input = await reserveInput('A-12', { lat: CENTRE.lat - 0.006, lng: CENTRE.lng + 0.006 });
    const reserved = await run(env, activities.reservePort, { ...input, firstRound: true });
    assert.equal(reserved.outcome, 'reserved');
    if (reserved.outcome !== 'reserved') return;
    // Someone replaces the reservation's client with another customer's (OZmap's "Replace a client at a port").
    const res = await fetch(new URL(`/api/v2/properties/${reserved.propertyId}`, sim.url), {
      method: 'PATCH',
      headers: { authorization: SIM_API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ client: { code: 'K-4', name: 'Another Customer', implanted: false } }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const replaced = ((await res.json()) as { client: { id: string } }).client.id;
    const sweep = { viabilityId: 'A-12', customerCode: 'C-A-12' };
    const released = await run(env, activities.releasePort, { ...reserved, sweep });
    assert.equal(released.outcome, 'not-ours');
    await untouched([{ propertyId: reserved.propertyId, clientId: replaced }]);
  });

  it('geocode: a known demo address, and null for an unknown one', async () => {
    const hit = await run(env, activities.geocode, { query: 'Rua Bocaiúva, 2125 - Centro, Florianópolis - SC' });
    assert.ok(hit && Math.abs(hit.lat + 27.588) < 0.01 && Math.abs(hit.lng + 48.55) < 0.02, JSON.stringify(hit));
    assert.match(hit.displayName, /Bocaiúva/);
    assert.equal(
      await run(env, activities.geocode, { query: 'Rua das Acácias, 100 - Centro, Florianópolis - SC' }),
      null,
    );
  });
});

describe('activities against an OZmap that answers oddly', () => {
  it('a box list of the wrong shape is a clear, non-retryable error naming the field', async () => {
    const server = await startTestServer((_req, res) =>
      json(res, 200, { rows: [{ id: 'x', name: 'CTO', coords: 'here' }] }),
    );
    const ozmap = new OzmapClient({ baseUrl: server.url, apiKey: 'k' });
    const activities = createActivities({
      ozmap,
      geocoder: new NominatimGeocoder({ url: server.url, userAgent: 'ua', minIntervalMs: 0 }),
    });
    try {
      await assert.rejects(
        run(new MockActivityEnvironment(), activities.surveyBoxes, { ...CENTRE, radiusMeters: 100 }),
        (err: unknown) => {
          assert.ok(err instanceof ApplicationFailure);
          assert.equal(err.type, 'OZmapBadResponseError');
          assert.equal(err.nonRetryable, true);
          assert.match(err.message, /GET \/boxes page 1 did not match the documented shape \(rows\.0\.coords/);
          return true;
        },
      );
      const auth = await startTestServer((_req, res) => json(res, 401, { message: 'invalid token' }));
      const denied = createActivities({
        ozmap: new OzmapClient({ baseUrl: auth.url, apiKey: 'secret-key-123' }),
        geocoder: new NominatimGeocoder({ url: auth.url, userAgent: 'ua', minIntervalMs: 0 }),
      });
      await assert.rejects(
        run(new MockActivityEnvironment(), denied.surveyBoxes, { ...CENTRE, radiusMeters: 100 }),
        (err: unknown) => {
          assert.ok(err instanceof ApplicationFailure && err.type === 'OZmapAuthError' && !err.nonRetryable);
          assert.doesNotMatch(err.message, /secret-key-123/);
          assert.equal(auth.requests[0]!.headers.authorization, 'secret-key-123', 'the raw key, no "Bearer"');
          return true;
        },
      );
      await auth.close();
    } finally {
      await ozmap.close();
      await server.close();
    }
  });
});
