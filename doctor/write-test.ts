/**
 * The reversible write test (`ozres doctor --ozmap --write --box <id>`): on the box the operator names, reserve a
 * free port with a marked test client, read it back, see what an occupied port answers, release it, and prove the
 * port free and nothing marked left, also when a step fails midway (the clean-up runs in `finally` and is
 * reported). Nothing is implanted.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { freePorts } from '../activities/index.ts';
import { dropPolesFields, type CreatePropertyBody, type OzmapClient } from '../activities/ozmap/client.ts';
import { OzProperty, type OzBox, type OzSplitter } from '../activities/ozmap/schemas.ts';
import { describeError, fail, pass, shown, type Check } from './checks.ts';
import { dropPolesReadBack } from './pole-checks.ts';
import { validate } from './validate.ts';

/** Distinct from the product's `ispbox2:` marker, so that nothing mistakes a test client for a reservation. */
export const DOCTOR_MARKER_PREFIX = 'ispbox2-doctor:';
export const DOCTOR_CLIENT_NAME = 'ozres doctor test';

const REPORT = 'report this line with its finding (docs/operations.md, "Before the first sale")';
/** The statuses activities/http.ts reads as a refusal (validation or conflict) rather than an outage. */
const REFUSAL_STATUSES = [400, 409, 422];

export interface WriteContext {
  ozmap: OzmapClient;
  box: OzBox;
  splitter: OzSplitter;
  port: number;
  propertyId: string;
  clientId: string;
}

/**
 * Extension point: steps run on the test reservation between its read-back and its release, each one line.
 * Moving it to another free port (PATCH /properties/<id>, OZmap fact O21) comes with a later issue.
 */
export type WriteStep = (context: WriteContext) => Promise<Check>;

export interface WriteTestOptions {
  boxId: string;
  steps?: WriteStep[];
  /** Pole mode: create with the box's pole as `drop_poles` and check it reads back (OZmap fact O30). */
  dropPoles?: boolean;
}

const RawMarked = z.looseObject({ id: z.string().optional(), external_id: z.unknown() });

export async function writeTest(ozmap: OzmapClient, options: WriteTestOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const nonce = randomBytes(6).toString('hex');
  const marker = `${DOCTOR_MARKER_PREFIX}${nonce}`;
  const code = `ozres-doctor-${nonce}`;
  const codes = [code];
  const clientIds: string[] = [];
  /** What this run created and has not removed yet: the clean-up's list. */
  const created = { properties: new Set<string>(), clients: new Set<string>() };
  let target: { splitter: OzSplitter; port: number } | undefined;

  try {
    const box = await ozmap.getBox(options.boxId);
    if (!box) {
      checks.push(fail('write.box', 'Test box', `no box ${shown(options.boxId)}`, 'give --box the id of a box'));
      return checks;
    }
    if (box.draft) {
      checks.push(fail('write.box', 'Test box', `${shown(box.name)} is "Em projeto"`, 'give --box a box in service'));
      return checks;
    }
    const splitters = await ozmap.findDropSplitters([box.id]);
    const splitter = splitters.find((s) => s.boxId === box.id && freePorts(s).length > 0);
    const port = splitter ? freePorts(splitter)[0] : undefined;
    if (!splitter || port === undefined) {
      checks.push(
        fail(
          'write.box',
          'Test box',
          `${shown(box.name)} has no free port on a drop splitter`,
          'give --box a box with a free port',
        ),
      );
      return checks;
    }
    target = { splitter, port };
    const dropPoles = options.dropPoles && box.poleId ? [box.poleId] : undefined;
    checks.push(pass('write.box', 'Test box', `${shown(box.name)}: port ${port} of ${shown(splitter.name)} is free`));

    const body = (externalId: string, clientCode: string): CreatePropertyBody => ({
      project: box.projectId,
      box: box.id,
      connector: splitter.id,
      port,
      auto_connect: false,
      force: false,
      coords: [box.lng, box.lat],
      address: 'ozres doctor test (removed at once)',
      observation: 'ozres doctor write test: removed at once',
      external_id: externalId,
      client: {
        code: clientCode,
        name: DOCTOR_CLIENT_NAME,
        implanted: false,
        observation: 'ozres doctor write test',
        external_id: externalId,
      },
      ...dropPolesFields(dropPoles),
    });

    // 1. Reserve (OZmap fact O12).
    const first = await ozmap.createProperty(body(marker, code));
    if (first.outcome === 'refused') {
      checks.push(
        fail(
          'write.reserve',
          'Reserve a free port',
          `OZmap refused the create with ${first.status} (body: ${shown(first.body)})`,
          REPORT,
          'OZmap fact O12',
        ),
      );
      return checks;
    }
    const property = first.property;
    created.properties.add(property.id);
    if (property.client) created.clients.add(property.client.id);
    const on = property.connection;
    if (!property.client || on?.id !== splitter.id || on.port !== port) {
      checks.push(
        fail(
          'write.reserve',
          'Reserve a free port',
          `created property ${shown(property.id)}, but client ${shown(property.client?.id)} on ${shown(on)}`,
          REPORT,
          'OZmap fact O12',
        ),
      );
      return checks;
    }
    const clientId = property.client.id;
    clientIds.push(clientId);
    checks.push(
      pass(
        'write.reserve',
        'Reserve a free port',
        `property ${property.id} with "Não implantado" client ${clientId} on port ${port}`,
        'OZmap fact O12',
      ),
    );

    if (dropPoles) checks.push(await dropPolesReadBack(ozmap, property.id, dropPoles));

    // 2. Read back by client code, with its marker (OZmap facts O14, O15, O22).
    checks.push(await readBack(ozmap, code, marker, property.id, splitter.id, port));

    // 3. The port reads occupied (OZmap facts O9, O11).
    const occupied = await ozmap.getSplitter(splitter.id);
    checks.push(
      occupied && occupied.output[port - 1] != null
        ? pass('write.port-occupied', 'Port reads occupied', `output[${port - 1}] is set`, 'OZmap facts O9, O11')
        : fail(
            'write.port-occupied',
            'Port reads occupied',
            `after the reservation, output[${port - 1}] reads ${shown(occupied?.output[port - 1])}`,
            'searches would offer a taken port: ' + REPORT,
            'OZmap facts O9, O11',
          ),
    );

    // 4. A second client on the same port must be refused (OZmap fact O13; docs/architecture.md, "Invariants" 2).
    const secondCode = `${code}-second`;
    codes.push(secondCode);
    const second = await ozmap.createProperty(body(`${marker}-second`, secondCode));
    if (second.outcome === 'created') {
      created.properties.add(second.property.id);
      if (second.property.client) created.clients.add(second.property.client.id);
      if (second.property.client) clientIds.push(second.property.client.id);
      checks.push(
        fail(
          'write.occupied-refused',
          'Occupied port refused',
          `OZmap accepted a second client on the occupied port (property ${second.property.id})`,
          'the product relies on OZmap refusing it (docs/architecture.md, "Invariants" 2): ' + REPORT,
          'OZmap fact O13',
        ),
      );
    } else if (!REFUSAL_STATUSES.includes(second.status) || second.shapeProblem) {
      checks.push(
        fail(
          'write.occupied-refused',
          'Occupied port refused',
          `refused with ${second.status}, body ${shown(second.body)}: ` +
            (second.shapeProblem ?? `status is not one of ${REFUSAL_STATUSES.join(', ')}`),
          "the product still re-reads the port to tell a taken one (only OZmap's wording is lost): " + REPORT,
          'OZmap fact O13',
        ),
      );
    } else {
      checks.push(
        pass(
          'write.occupied-refused',
          'Occupied port refused',
          `refused with ${second.status}, body ${shown(second.body, 120)}`,
          'OZmap fact O13',
        ),
      );
    }

    for (const step of options.steps ?? []) {
      checks.push(await step({ ozmap, box, splitter, port, propertyId: property.id, clientId }));
    }

    // 5. Release: delete the property; its client should go with it (OZmap fact O18).
    await ozmap.deleteProperty(property.id);
    created.properties.delete(property.id);
    const leftover = await ozmap.getClient(clientId);
    if (leftover) {
      checks.push(
        fail(
          'write.release-client',
          'Delete takes the client',
          `client ${clientId} stayed after its property was deleted`,
          'nothing to set: releasePort deletes the client too; ' + REPORT,
          'OZmap fact O18',
        ),
      );
      // As releasePort does: remove the client the delete left behind.
      await ozmap.deleteClient(clientId);
    } else {
      checks.push(
        pass(
          'write.release-client',
          'Delete takes the client',
          'deleting the property removed its client',
          'OZmap fact O18',
        ),
      );
    }
    created.clients.delete(clientId);
  } catch (err) {
    checks.push(fail('write.step', 'Write test', `a step failed: ${describeError(err)}`, REPORT));
  } finally {
    checks.push(...(await cleanUp(ozmap, created)));
    if (target) checks.push(...(await verifyClean(ozmap, target, codes, clientIds)));
  }
  return checks;
}

async function readBack(
  ozmap: OzmapClient,
  code: string,
  marker: string,
  propertyId: string,
  splitterId: string,
  port: number,
): Promise<Check> {
  const id = 'write.read-back';
  const title = 'Read back by client code';
  const ref = 'OZmap facts O14, O15, O22';
  const body = await ozmap.rawGet(`properties/client/${encodeURIComponent(code)}`);
  const parsed = validate(z.array(OzProperty), body, 'GET /api/v2/properties/client/<code>');
  if (!parsed.ok) return fail(id, title, parsed.problem, REPORT, ref);
  const rows = parsed.value;
  const mine = rows.find((p) => p.id === propertyId);
  if (rows.length !== 1 || !mine) {
    return fail(
      id,
      title,
      `found ${rows.length} properties for the test code (ids ${shown(rows.map((r) => r.id))})`,
      REPORT,
      ref,
    );
  }
  if (mine.connection?.id !== splitterId || mine.connection.port !== port) {
    return fail(id, title, `reads back on ${shown(mine.connection)}, not port ${port} of ${splitterId}`, REPORT, ref);
  }
  const raw = (body as unknown[]).map((r) => RawMarked.safeParse(r).data);
  const seen = raw[0]?.external_id;
  if (seen !== marker) {
    return fail(
      id,
      title,
      `field external_id reads ${shown(seen)}, not the marker sent`,
      "OZMAP_FIND_BY=client_code could not tell a customer's viabilities apart: " + REPORT,
      ref,
    );
  }
  return pass(id, title, `one property on port ${port}, carrying its external_id marker`, ref);
}

/** Removes whatever this run created and still exists; one line saying what it had to remove, or could not. */
async function cleanUp(
  ozmap: OzmapClient,
  created: { properties: Set<string>; clients: Set<string> },
): Promise<Check[]> {
  if (created.properties.size === 0 && created.clients.size === 0) return [];
  const removed: string[] = [];
  const failed: string[] = [];
  for (const id of created.properties) {
    try {
      if (await ozmap.deleteProperty(id)) removed.push(`property ${id}`);
    } catch (err) {
      failed.push(`property ${id} (${describeError(err)})`);
    }
  }
  for (const id of created.clients) {
    try {
      if (await ozmap.deleteClient(id)) removed.push(`client ${id}`);
    } catch (err) {
      failed.push(`client ${id} (${describeError(err)})`);
    }
  }
  if (failed.length > 0) {
    return [
      fail(
        'write.cleanup',
        'Clean-up',
        `could not remove ${failed.join(', ')}${removed.length ? `; removed ${removed.join(', ')}` : ''}`,
        `remove them in OZmap by hand (marker ${DOCTOR_MARKER_PREFIX}…, name "${DOCTOR_CLIENT_NAME}")`,
      ),
    ];
  }
  return [pass('write.cleanup', 'Clean-up', `after a failed step, removed ${removed.join(', ') || 'nothing left'}`)];
}

async function verifyClean(
  ozmap: OzmapClient,
  target: { splitter: OzSplitter; port: number },
  codes: string[],
  clientIds: string[],
): Promise<Check[]> {
  const checks: Check[] = [];
  const { splitter, port } = target;
  try {
    const now = await ozmap.getSplitter(splitter.id);
    checks.push(
      now && now.output[port - 1] === null
        ? pass(
            'write.port-freed',
            'Port free again',
            `port ${port} of ${shown(splitter.name)} is free`,
            'OZmap fact O18',
          )
        : fail(
            'write.port-freed',
            'Port free again',
            `port ${port} of ${shown(splitter.name)} still reads ${shown(now?.output[port - 1])}`,
            "free it in OZmap (it holds the doctor's test drop): " + REPORT,
            'OZmap fact O18',
          ),
    );
    const left = (await Promise.all(codes.map((c) => ozmap.findPropertiesByClientCode(c)))).flat();
    const clients = (await Promise.all(clientIds.map((c) => ozmap.getClient(c)))).filter((c) => c !== null);
    const ids = [...left.map((p) => `property ${p.id}`), ...clients.map((c) => `client ${c.id}`)];
    checks.push(
      ids.length === 0
        ? pass('write.clean', 'Nothing marked left', 'no property or client of the test remains')
        : fail(
            'write.clean',
            'Nothing marked left',
            `${ids.length} test records remain (${ids.join(', ')})`,
            `remove them in OZmap (name "${DOCTOR_CLIENT_NAME}")`,
          ),
    );
  } catch (err) {
    checks.push(fail('write.clean', 'Nothing marked left', `could not verify: ${describeError(err)}`, REPORT));
  }
  return checks;
}
