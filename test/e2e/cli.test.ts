/**
 * The acceptance path on a real dev server, with the worker and the CLI as real processes and the simulator as OZmap:
 * reserve by address, confirm, cancel, NO_COVERAGE, ADDRESS_NOT_FOUND, manual selection, and bad input.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { externalIdFor, workflowIdFor } from '../../contract/ids.ts';
import { type ReservationState } from '../../contract/schemas.ts';
import { NO_COVERAGE_POINT } from '../../simulator/network.ts';
import path from 'node:path';
import { projectRoot } from '../../scripts/temporal-tools.ts';
import { verifyViabilityLink } from '../../api/link-verifier.ts';
import { linkSigningKey } from '../../client/viability-link.ts';
import { run, startStack, type Stack } from '../support/stack.ts';
import { propertiesOf, simGet, eventually } from '../support/world.ts';

const newId = () => `E-${randomUUID().slice(0, 8)}`;

describe('CLI against the dev server, worker and simulator', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ ui: true });
  });
  after(async () => stack?.stop());

  const reserve = async (args: string[]) => {
    const res = await stack.cli(['reserve', '--json', ...args]);
    assert.ok(res.code === 0 || res.code === 3, `reserve failed (${res.code}): ${res.stderr}`);
    return { code: res.code, state: JSON.parse(res.stdout) as ReservationState };
  };

  it('reserves by address: RESERVED, one "Não implantado" client on exactly that port, visible with its search attributes', async () => {
    const id = newId();
    const { state } = await reserve([
      '--viability',
      id,
      '--code',
      'C-77',
      '--name',
      'Maria Souza',
      '--address',
      'Rua Bocaiúva, 2125, Florianópolis - SC',
    ]);
    assert.equal(state.status, 'RESERVED');
    assert.equal(state.coordinates?.source, 'geocoder');
    const r = state.reservation!;
    assert.ok(r.boxId && r.splitterId && r.port > 0);

    const properties = await propertiesOf(stack.world, externalIdFor(id));
    assert.equal(properties.length, 1, 'exactly one OZmap property for the viability');
    const [p] = properties;
    assert.equal(p!.client?.implanted, false);
    assert.equal(p!.client?.code, 'C-77');
    assert.equal(p!.client?.name, 'Maria Souza');
    assert.equal(p!.address, 'Rua Bocaiúva, 2125, Florianópolis - SC');
    assert.deepEqual(p!.coords, [state.coordinates.lng, state.coordinates.lat]);
    assert.equal(p!.box, r.boxId);
    assert.deepEqual(
      p!.connections.map((c) => [c.id, c.port]),
      [[r.splitterId, r.port]],
    );
    const splitter = await simGet<{ connectables: { output: Array<string | null> } }>(
      stack.world,
      `/api/v2/splitters/${r.splitterId}`,
    );
    assert.notEqual(splitter.connectables.output[r.port - 1], null);

    // Visibility, and the Web UI's own API, list it with its search attributes.
    await eventually(async () => {
      const found = [];
      for await (const wf of stack.client.workflow.list({
        query: `ViabilityId = "${id}" AND ReservationStatus = "RESERVED" AND BoxId = "${r.boxId}"`,
      }))
        found.push(wf);
      assert.equal(found.length, 1);
      assert.equal(found[0]!.typedSearchAttributes.getAll().find((p) => p.key.name === 'CustomerCode')?.value, 'C-77');
    });
    const ui = await fetch(
      `${stack.dev.uiUrl}/api/v1/namespaces/${stack.dev.namespace}/workflows?query=${encodeURIComponent(`ViabilityId="${id}"`)}`,
    );
    assert.equal(ui.status, 200);
    const listed = (await ui.json()) as {
      executions: Array<{
        execution: { workflowId: string };
        searchAttributes: { indexedFields: Record<string, unknown> };
      }>;
    };
    assert.equal(listed.executions[0]?.execution.workflowId, workflowIdFor(id));
    for (const name of ['ViabilityId', 'CustomerCode', 'ReservationStatus', 'BoxId', 'ReservationExpiresAt']) {
      assert.ok(name in listed.executions[0].searchAttributes.indexedFields, `Web UI shows ${name}`);
    }

    // The readable form names box, splitter and port.
    const status = await stack.cli(['status', id]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`Port\\s+${r.port}`));
    assert.match(status.stdout, /Status\s+RESERVED/);

    // confirm → INSTALLED, client implanted
    const confirm = await stack.cli(['confirm', id, '--note', 'instalado', '--json']);
    assert.equal(confirm.code, 0, confirm.stderr);
    assert.equal((JSON.parse(confirm.stdout) as ReservationState).status, 'INSTALLED');
    const [after] = await propertiesOf(stack.world, externalIdFor(id));
    assert.equal(after?.client?.implanted, true);

    // Ended: a cancel now is refused with how it ended (exit code 2), as the API answers 409 already-ended.
    const late = await stack.cli(['cancel', id]);
    assert.equal(late.code, 2, late.stderr);
    assert.match(late.stderr, new RegExp(`${id} already ended as INSTALLED: nothing to cancel`));
  });

  it('cancel ends CANCELLED and the port is free for the next search', async () => {
    const id = newId();
    const { state } = await reserve([
      '--viability',
      id,
      '--code',
      'C-78',
      '--name',
      'João',
      '--address',
      'Rua Felipe Schmidt, 300, Centro, Florianópolis',
    ]);
    assert.equal(state.status, 'RESERVED');
    const r = state.reservation!;
    const cancel = await stack.cli(['cancel', id, '--reason', 'desistiu', '--json']);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal((JSON.parse(cancel.stdout) as ReservationState).status, 'CANCELLED');
    assert.deepEqual(await propertiesOf(stack.world, externalIdFor(id)), []);
    // The next reservation at the same point sees the port free again and takes it.
    const { state: next } = await reserve([
      '--viability',
      newId(),
      '--code',
      'C-79',
      '--name',
      'Ana',
      '--lat',
      String(state.coordinates!.lat),
      '--lng',
      String(state.coordinates!.lng),
    ]);
    assert.equal(next.reservation?.splitterId, r.splitterId);
    assert.equal(next.reservation?.port, r.port);
  });

  it('coordinates far from any box end NO_COVERAGE (exit code 3)', async () => {
    const { code, state } = await reserve([
      '--viability',
      newId(),
      '--code',
      'C-1',
      '--name',
      'X',
      '--lat',
      String(NO_COVERAGE_POINT.lat),
      '--lng',
      String(NO_COVERAGE_POINT.lng),
    ]);
    assert.equal(state.status, 'NO_COVERAGE');
    assert.equal(code, 3);
  });

  it('an unknown address ends ADDRESS_NOT_FOUND', async () => {
    const { state } = await reserve([
      '--viability',
      newId(),
      '--code',
      'C-2',
      '--name',
      'Y',
      '--address',
      'Rua Que Não Existe, 99, Florianópolis',
    ]);
    assert.equal(state.status, 'ADDRESS_NOT_FOUND');
    assert.match(state.outcome!.reason, /Rua Que Não Existe/);
  });

  it('manual mode waits in AWAITING_SELECTION and selectBox reserves the chosen box', async () => {
    const id = newId();
    const { state } = await reserve([
      '--viability',
      id,
      '--code',
      'C-3',
      '--name',
      'Z',
      '--address',
      'Avenida Hercílio Luz, 600',
      '--manual',
    ]);
    assert.equal(state.status, 'AWAITING_SELECTION');
    assert.ok(state.candidates.length >= 2, 'several boxes to choose from');
    const chosen = state.candidates[state.candidates.length - 1]!; // not the nearest: the salesperson's choice counts
    const port = chosen.splitters[0]!.freePorts.at(-1)!;
    const refused = await stack.cli(['select', id, '--box', 'not-a-candidate']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /not among the candidates/);
    const res = await stack.cli(['select', id, '--box', chosen.boxId, '--port', String(port), '--json']);
    assert.equal(res.code, 0, res.stderr);
    const selected = JSON.parse(res.stdout) as ReservationState;
    assert.equal(selected.status, 'RESERVED');
    assert.equal(selected.reservation?.boxId, chosen.boxId);
    assert.equal(selected.reservation?.port, port);
    const again = await stack.cli(['select', id, '--box', chosen.boxId]);
    assert.equal(again.code, 2, 'a second selection is refused');
    assert.match(again.stderr, /only accepted while AWAITING_SELECTION/);
  });

  it('lists reservations by status and customer, a page at a time, as a table or JSON', async () => {
    const customer = `C-L-${randomUUID().slice(0, 6)}`;
    const ids = [newId(), newId(), newId()];
    for (const id of ids)
      await reserve([
        '--viability',
        id,
        '--code',
        customer,
        '--name',
        'Lista',
        '--address',
        'Rua Bocaiúva, 2125, Florianópolis - SC',
      ]);
    type Page = {
      reservations: Array<{
        viabilityId: string;
        status: string;
        customerCode: string;
        boxId: string;
        expiresAt: string;
      }>;
      nextPageToken?: string;
    };
    const list = async (args: string[]) => {
      const res = await stack.cli(['list', '--json', ...args]);
      assert.equal(res.code, 0, res.stderr);
      return JSON.parse(res.stdout) as Page;
    };
    // Visibility is eventually consistent: wait until all three are listed as RESERVED.
    const all = await eventually(async () => {
      const page = await list(['--customer', customer, '--status', 'RESERVED']);
      assert.deepEqual(page.reservations.map((r) => r.viabilityId).sort(), [...ids].sort());
      return page;
    });
    for (const r of all.reservations) {
      assert.equal(r.customerCode, customer);
      assert.ok(r.boxId && Date.parse(r.expiresAt) > Date.now(), 'box and expiry come from the search attributes');
    }
    const first = await list(['--customer', customer, '--limit', '2']);
    assert.equal(first.reservations.length, 2);
    assert.ok(first.nextPageToken, 'a next page is announced');
    const second = await list(['--customer', customer, '--limit', '2', '--page-token', first.nextPageToken]);
    assert.deepEqual([...first.reservations, ...second.reservations].map((r) => r.viabilityId).sort(), [...ids].sort());
    assert.equal((await list(['--customer', customer, '--limit', '1', '--all'])).reservations.length, 3);
    assert.equal((await list(['--customer', customer, '--status', 'EXPIRED'])).reservations.length, 0);

    const table = await stack.cli(['list', '--customer', customer]);
    assert.equal(table.code, 0, table.stderr);
    for (const id of ids) assert.match(table.stdout, new RegExp(`│ ${id}\\s+│ RESERVED\\s+│ ${customer}`));
    assert.match(table.stdout, /3 reservation\(s\)/);

    const bad = await stack.cli(['list', '--status', 'SOLD', '--expires-before', 'tomorrow']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /status: /);
    assert.match(bad.stderr, /expiresBefore: must be an ISO 8601 date-time/);
    const badToken = await stack.cli(['list', '--page-token', 'bm90LWEtdG9rZW4']);
    assert.equal(badToken.code, 2, badToken.stderr);
    assert.match(badToken.stderr, /pageToken: /);
  });

  it('prints a map page link signed with ISPBOX_API_KEY, which the server accepts for exactly that data', async () => {
    const key = 'link-test-key-0123456789';
    const res = await stack.cli(
      [
        'link',
        '--viability',
        'V-LINK-1',
        '--code',
        'C-9',
        '--name',
        'Ana Sá',
        '--address',
        'Rua Bocaiúva, 2125',
        '--radius',
        '300',
        '--base-url',
        'https://reservas.isp.example',
      ],
      { ISPBOX_API_KEY: key },
    );
    assert.equal(res.code, 0, res.stderr);
    const url = new URL(res.stdout.trim());
    assert.equal(url.origin + url.pathname, 'https://reservas.isp.example/viability');
    const query = Object.fromEntries(url.searchParams);
    const verdict = verifyViabilityLink(query, linkSigningKey({ ispboxApiKey: key }));
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
    assert.equal(
      verifyViabilityLink({ ...query, radius: '5000' }, linkSigningKey({ ispboxApiKey: key })).ok,
      false,
      'a changed radius breaks the signature',
    );
    assert.equal(verifyViabilityLink(query, linkSigningKey({ ispboxApiKey: 'another-key-0123456789' })).ok, false);
    const bad = await stack.cli(['link', '--viability', 'V 1', '--code', 'C-9', '--name', 'Ana']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /viabilityId: /);
    assert.match(bad.stderr, /address: give an address/);
  });

  it("shows examples in every command's help", async () => {
    for (const command of ['reserve', 'status', 'list', 'select', 'confirm', 'cancel', 'link']) {
      const help = await stack.cli([command, '--help']);
      assert.equal(help.code, 0, `${command} --help: ${help.stderr}`);
      assert.match(
        help.stdout,
        new RegExp(`Examples:\\n\\s+\\$ ozres ${command}`),
        `${command} --help shows an example of itself`,
      );
    }
  });

  it('refuses bad input naming the field, and starts nothing', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--code', 'C', '--name', 'N'], /address: give an address or coordinates/],
      [
        ['--code', 'C', '--name', 'N', '--lat', '123', '--lng', '-48.5'],
        /coordinates\.lat: latitude must be between -90 and 90/,
      ],
      [['--code', 'C', '--name', 'N', '--address', 'Rua X', '--radius', '0'], /radiusMeters: must be at least 1/],
      [['--code', ' ', '--name', 'N', '--address', 'Rua X'], /customer\.code: customer code must not be empty/],
      // The hold: whole days up to RESERVATION_MAX_HOLD_DAYS (90 here), as the API and the workflow hold it.
      [
        ['--code', 'C', '--name', 'N', '--address', 'Rua X', '--hold-days', '365'],
        /holdDays: must be at most 90 days \(RESERVATION_MAX_HOLD_DAYS\)/,
      ],
      [['--code', 'C', '--name', 'N', '--address', 'Rua X', '--hold-days', '1.5'], /holdDays: must be a whole number/],
    ];
    for (const [args, message] of cases) {
      const id = newId();
      const res = await stack.cli(['reserve', '--viability', id, ...args]);
      assert.equal(res.code, 2, `${args.join(' ')} → ${res.code} ${res.stderr}`);
      assert.match(res.stderr, message);
      await assert.rejects(stack.client.workflow.getHandle(workflowIdFor(id)).describe(), /not found/i);
    }
    const badId = await stack.cli([
      'reserve',
      '--viability',
      'bad id!',
      '--code',
      'C',
      '--name',
      'N',
      '--address',
      'Rua X',
    ]);
    assert.equal(badId.code, 2);
    assert.match(badId.stderr, /viabilityId: must be 1-64 characters/);
    let count = 0;
    for await (const _ of stack.client.workflow.list({ query: `ViabilityId = "bad id!"` })) count++;
    assert.equal(count, 0);
  });

  it('takes numbers only as plain decimals: hex, exponents and stray characters are refused naming the option', async () => {
    const id = newId();
    const reserve = ['reserve', '--viability', id, '--code', 'C', '--name', 'N'];
    const cases: Array<[string[], string]> = [
      [[...reserve, '--address', 'Rua X', '--radius', '0x10'], '--radius'],
      [[...reserve, '--address', 'Rua X', '--radius', '1e2'], '--radius'],
      [[...reserve, '--address', 'Rua X', '--radius', '250.0'], '--radius'],
      [[...reserve, '--address', 'Rua X', '--hold-days', '0x1e'], '--hold-days'],
      [[...reserve, '--lat', '-2.7e1', '--lng', '-48.5'], '--lat'],
      [[...reserve, '--lat', '-27.5', '--lng', '0x30'], '--lng'],
      [[...reserve, '--lat', '-27.5', '--lng', ' -48.5'], '--lng'],
      [['list', '--limit', '1e1'], '--limit'],
      [['select', id, '--box', 'b-1', '--port', '0b11'], '--port'],
      [['move', id, '--box', 'b-1', '--port', '3.0'], '--port'],
      [['extend', id, '--days', '1e1'], '--days'],
      [['link', '--viability', id, '--code', 'C', '--name', 'N', '--address', 'Rua X', '--ttl', '0x100'], '--ttl'],
      [['reconcile', '--dry-run', '--page-size', '1e2'], '--page-size'],
    ];
    await Promise.all(
      cases.map(async ([args, option]) => {
        const res = await stack.cli(args);
        assert.notEqual(res.code, 0, `${args.join(' ')} → ${res.code} ${res.stdout}`);
        assert.match(res.stderr, new RegExp(`${option} must be a`), `${args.join(' ')}: ${res.stderr}`);
      }),
    );
    await assert.rejects(stack.client.workflow.getHandle(workflowIdFor(id)).describe(), /not found/i);
  });

  it('refuses a missing required setting by name, in the CLI and the worker', async () => {
    const cli = await stack.cli(['status', 'V-1'], { TEMPORAL_TLS_CERT_PATH: '/nonexistent/client.pem' });
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /TEMPORAL_TLS_KEY_PATH: TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together/);
    // The CLI reaches Temporal only: the geocoder's and OZmap's keys are a worker's business (config/roles.ts).
    const keyless = await stack.cli(['status', 'V-1'], {
      GEOCODER_PROVIDER: 'google',
      GOOGLE_GEOCODING_API_KEY: '',
      OZMAP_URL: 'https://acme.ozmap.com.br:9994',
      OZMAP_API_KEY: '',
      ISPBOX_API_KEY: 'cli-test-ispbox-key-0123456789',
    });
    assert.equal(keyless.code, 4, keyless.stderr); // not found: it got as far as Temporal
    const worker = await run(['--import', 'tsx', path.join(projectRoot, 'worker', 'main.ts')], {
      ...stack.env,
      OZMAP_URL: 'https://acme.ozmap.com.br:9994',
      OZMAP_API_KEY: '',
      GEOCODER_PROVIDER: 'google',
      GOOGLE_GEOCODING_API_KEY: '',
      RESERVATION_HOLD_DAYS: 'soon',
    });
    assert.equal(worker.code, 1);
    assert.match(worker.stderr, /OZMAP_API_KEY: is required/);
    assert.match(worker.stderr, /GOOGLE_GEOCODING_API_KEY: is required when GEOCODER_PROVIDER=google/);
    assert.match(worker.stderr, /RESERVATION_HOLD_DAYS: must be a number/);
  });
});
