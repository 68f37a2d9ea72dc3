/**
 * `ozres move` and `ozres extend` as real processes against a real dev server, the worker and the simulator:
 * the before/after tables, --json, the exit codes of a refusal (2), bad input (2) and no reservation (4), and help.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { externalIdFor } from '../../contract/ids.ts';
import { DAY_MS } from '../../contract/defaults.ts';
import { type ReservationState } from '../../contract/schemas.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { propertiesOf, reservablePoints } from '../support/world.ts';

const newId = () => `M-${randomUUID().slice(0, 8)}`;

describe('CLI: move and extend', () => {
  let stack: Stack;
  let points: Array<{ lat: number; lng: number; boxId: string }>;
  before(async () => {
    stack = await startStack({ taskQueue: 'cli-living' });
    points = await reservablePoints(stack.world.ozmap, 3, 300);
  });
  after(async () => stack?.stop());

  const reserve = (point: { lat: number; lng: number }, radiusMeters = 250) =>
    stack.reservations.reserve({
      viabilityId: newId(),
      customer: { code: 'C-77', name: 'Maria Souza' },
      coordinates: { lat: point.lat, lng: point.lng },
      radiusMeters,
    });

  it('move: a Before/After table of box, splitter and port; --json the state; OZmap has the client on the new port', async () => {
    const state = await reserve(points[0]!, 400);
    const from = state.reservation!;
    const target = state.candidates.find((c) => c.boxId !== from.boxId)!;
    const res = await stack.cli(['move', state.viabilityId, '--box', target.boxId, '--reason', 'outra calçada']);
    assert.equal(res.code, 0, res.stderr);
    const to = (await stack.reservations.get(state.viabilityId)).reservation!;
    assert.equal(to.boxId, target.boxId);
    assert.match(res.stdout, /Moved .* at /);
    assert.match(res.stdout, /Reason: outra calçada/);
    assert.match(res.stdout, /│\s*Before\s*│\s*After\s*│/);
    const row = (label: string) => res.stdout.split('\n').find((line) => line.includes(`│ ${label} `)) ?? '';
    assert.ok(row('Box').includes(from.boxName) && row('Box').includes(to.boxName), row('Box'));
    assert.ok(row('Splitter').includes(from.splitterId) && row('Splitter').includes(to.splitterId), row('Splitter'));
    assert.match(row('Port'), new RegExp(`│\\s*${from.port}\\s*│\\s*${to.port}\\s*│`));
    const [property] = await propertiesOf(stack.world, externalIdFor(state.viabilityId));
    assert.deepEqual(
      property!.connections.map((c) => [c.id, c.port]),
      [[to.splitterId, to.port]],
    );

    // Back to the first box, chosen down to the port, as JSON.
    const back = await stack.cli([
      'move',
      state.viabilityId,
      '--box',
      from.boxId,
      '--splitter',
      from.splitterId,
      '--port',
      String(from.port),
      '--json',
    ]);
    assert.equal(back.code, 0, back.stderr);
    const json = JSON.parse(back.stdout) as ReservationState;
    assert.equal(json.reservation?.port, from.port);
    assert.equal(json.changes?.length, 2);
  });

  it('extend: a Before/After table of the end; beyond the longest hold exit 2 naming the limit; bad days refused', async () => {
    const state = await reserve(points[1]!);
    const from = state.reservation!.expiresAt;
    const res = await stack.cli(['extend', state.viabilityId, '--days', '10']);
    assert.equal(res.code, 0, res.stderr);
    const to = (await stack.reservations.get(state.viabilityId)).reservation!.expiresAt;
    assert.equal(Date.parse(to) - Date.parse(from), 10 * DAY_MS);
    assert.match(res.stdout, new RegExp(`│ Expires │ ${from} │ ${to} │`));

    const tooLong = await stack.cli(['extend', state.viabilityId, '--days', '60', '--json']);
    assert.equal(tooLong.code, 2, tooLong.stdout);
    assert.match(tooLong.stderr, /90 days/);
    assert.equal(tooLong.stdout, '', 'nothing on stdout for a refusal');
    for (const days of ['1.5', '0', 'dez']) {
      const bad = await stack.cli(['extend', state.viabilityId, '--days', days]);
      // Not a whole number written in digits: a usage error (1); a whole number out of range: refused (2).
      assert.equal(bad.code, days === '0' ? 2 : 1, `--days ${days}: ${bad.stderr}`);
      assert.match(bad.stderr, /days/);
    }
    assert.equal((await stack.reservations.get(state.viabilityId)).reservation!.expiresAt, to, 'nothing changed');
  });

  it('a box outside the radius is refused (exit 2, the reason); no reservation is exit 4; an ended one exit 2', async () => {
    const state = await reserve(points[2]!);
    const far = points.find((p) => p.boxId !== state.reservation!.boxId && p !== points[2])!;
    const outside = await stack.cli(['move', state.viabilityId, '--box', far.boxId]);
    assert.equal(outside.code, 2, outside.stderr);
    assert.match(outside.stderr, /not within the reservation's radius/);
    const none = await stack.cli(['extend', newId(), '--days', '5']);
    assert.equal(none.code, 4, none.stderr);
    await stack.reservations.cancel(state.viabilityId);
    await stack.reservations.result(state.viabilityId);
    const ended = await stack.cli(['move', state.viabilityId, '--box', state.reservation!.boxId]);
    assert.equal(ended.code, 2, ended.stderr);
    assert.match(ended.stderr, /already ended as CANCELLED/);
  });

  it('help shows examples for both commands, and the overview lists them', async () => {
    for (const command of ['move', 'extend']) {
      const help = await stack.cli([command, '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, new RegExp(`Examples:\\n  \\$ ozres ${command} V-1042`));
      assert.match(help.stdout, /Exit codes:/);
    }
    const overview = await stack.cli(['--help']);
    assert.match(overview.stdout, /ozres move V-1042 --box/);
    assert.match(overview.stdout, /ozres extend V-1042 --days 15/);
  });
});
