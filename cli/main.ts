#!/usr/bin/env -S npx tsx
/**
 * ozres: reserve, inspect, list, select, move, extend, confirm and cancel port reservations from a terminal or a
 * script.
 * Exit codes: 0 done; 1 failure (Temporal unreachable, workflow failed); 2 invalid input or a refused request;
 * 3 the reservation ended without a port (NO_COVERAGE, ADDRESS_NOT_FOUND, NO_SELECTION); 4 not found.
 */
import { Command, Option } from 'commander';
import { loadConfig } from '../config/env.ts';
import type { ReservationState } from '../contract/schemas.ts';
import { endedWithoutPort } from '../contract/statuses.ts';
import { TENANT_ID_PATTERN } from '../contract/ids.ts';
import { hostPort } from '../net/hosts.ts';
import { InvalidInputError } from '../client/errors.ts';
import type { ReservationPage } from '../client/listing.ts';
import { runReconcile } from '../client/reconcile.ts';
import { ReservationsClient } from '../client/reservations.ts';
import { DEFAULT_LINK_TTL_SECONDS, viabilityPageUrl } from '../client/viability-link.ts';
import { registerBatch } from './batch.ts';
import { registerDoctor } from './doctor.ts';
import { registerTenants } from './tenants.ts';
import { EXIT, errorText, exitCodeFor } from './exit-codes.ts';
import { formatChange, formatPage, formatReconcileReport, formatState } from './format.ts';
import { decimal, wholeNumber } from './options.ts';
import { withSpinner } from './terminal.ts';

interface Output {
  json?: boolean;
}

const program = new Command()
  .name('ozres')
  .description('Ispbox 2 ⇄ OZmap port reservations on Temporal')
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Examples:
  $ ozres reserve --viability V-1042 --code C-77 --name "Maria Souza" ` +
      `--address "Rua Bocaiúva, 2125, Florianópolis - SC"
  $ ozres reserve --viability V-1043 --code C-78 --name "João" --lat -27.5935 --lng -48.5585 --manual --json
  $ ozres select V-1043 --box 64f0c0ffee0000000000abcd --port 3
  $ ozres status V-1042
  $ ozres move V-1042 --box 64f0c0ffee0000000000abcd --reason "caixa do outro lado da rua"
  $ ozres extend V-1042 --days 15 --reason "cliente pediu mais prazo"
  $ ozres list --status RESERVED --expires-before 2026-12-31T00:00:00Z
  $ ozres confirm V-1042 --note "instalado em 02/12"
  $ ozres cancel V-1043 --reason "cliente desistiu"
  $ ozres link --viability V-1044 --code C-79 --name "Ana" --address "Rua Felipe Schmidt, 300, Florianópolis"
  $ ozres reconcile --dry-run
  $ ozres tenants list
  $ ozres batch leads.csv --out results.csv

Configuration comes from the environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ...); see docs/configuration.md.
Exit codes: 0 ok, 1 failure (e.g. Temporal unreachable), 2 invalid input or refused (e.g. already ended),
            3 ended without a port (NO_COVERAGE, ADDRESS_NOT_FOUND, NO_SELECTION), 4 not found.
Run "ozres <command> --help" for a command's options and examples.`,
  );

withCustomerOptions(program.command('reserve'))
  .description('reserve a port for a viability and wait until it is RESERVED, awaiting selection, or final')
  .option('--hold-days <days>', 'how long the port is held', decimal('--hold-days'))
  .option('--manual', 'let the salesperson choose the box (selectBox) instead of taking the nearest')
  .option('--json', 'print JSON')
  .addHelpText(
    'after',
    `
Examples:
  $ ozres reserve --viability V-1042 --code C-77 --name "Maria Souza" ` +
      `--address "Rua Bocaiúva, 2125, Florianópolis - SC"
  $ ozres reserve --viability V-1043 --code C-78 --name "João" --lat -27.5935 --lng -48.5585 --radius 400 --manual

Asking again for the same viability returns the same reservation: nothing is reserved twice.
Exit codes: 0 RESERVED or awaiting selection, 3 ended without a port, 2 invalid input, 1 failure.`,
  )
  .action(async (opts: CustomerOptions & { holdDays?: number; manual?: boolean } & Output) => {
    const customer = customerInput(opts);
    await withClient(async (client) => {
      const state = await withSpinner(`Reserving a port for ${opts.viability}…`, !opts.json, () =>
        client.reserve({
          ...customer,
          holdDays: opts.holdDays,
          selection: opts.manual ? 'manual' : 'auto',
        }),
      );
      print(state, opts);
      return endedWithoutPort(state.status) ? EXIT.noReservation : EXIT.ok;
    });
  });

program
  .command('status')
  .description('show a reservation')
  .argument('<viabilityId>')
  .option('--json', 'print JSON')
  .addHelpText(
    'after',
    `
Examples:
  $ ozres status V-1042
  $ ozres status V-1042 --json | jq .reservation.port`,
  )
  .action(async (viabilityId: string, opts: Output) => {
    await withClient(async (client) => {
      print(await client.get(viabilityId), opts);
      return EXIT.ok;
    });
  });

program
  .command('list')
  .description('list reservations, newest first, through Temporal visibility')
  .option('--status <status>', 'only this status, e.g. RESERVED, AWAITING_SELECTION, EXPIRED')
  .option('--customer <code>', 'only this customer code')
  .option('--expires-before <date-time>', 'only holds ending before this ISO 8601 date-time')
  .option('--limit <n>', 'page size (1-100)', wholeNumber('--limit'), 20)
  .option('--page-token <token>', 'the next page, as printed by the previous one')
  .option('--all', 'follow every page')
  .option('--json', 'print JSON ({ reservations, nextPageToken })')
  .addHelpText(
    'after',
    `
Examples:
  $ ozres list --status RESERVED
  $ ozres list --status RESERVED --expires-before 2026-12-31T00:00:00Z --all --json
  $ ozres list --customer C-77`,
  )
  .action(
    async (
      opts: {
        status?: string;
        customer?: string;
        expiresBefore?: string;
        limit: number;
        pageToken?: string;
        all?: boolean;
      } & Output,
    ) => {
      await withClient(async (client) => {
        const filters = {
          status: opts.status,
          customerCode: opts.customer,
          expiresBefore: opts.expiresBefore,
          pageSize: opts.limit,
        };
        let page: ReservationPage = await client.list({ ...filters, pageToken: opts.pageToken });
        while (opts.all && page.nextPageToken) {
          const next = await client.list({ ...filters, pageToken: page.nextPageToken });
          page = { reservations: [...page.reservations, ...next.reservations], nextPageToken: next.nextPageToken };
        }
        console.log(opts.json ? JSON.stringify(page, null, 2) : formatPage(page));
        return EXIT.ok;
      });
    },
  );

program
  .command('select')
  .description('manual mode: reserve the chosen box (and optionally splitter and port)')
  .argument('<viabilityId>')
  .requiredOption('--box <boxId>', 'OZmap box id among the candidates')
  .option('--splitter <splitterId>', 'OZmap splitter id')
  .addOption(new Option('--port <port>', 'port number').argParser(wholeNumber('--port')))
  .option('--json', 'print JSON')
  .addHelpText(
    'after',
    `
Examples:
  $ ozres select V-1043 --box 64f0c0ffee0000000000abcd --port 3
  $ ozres status V-1043      # the candidate boxes, with their ids and free ports

Exit codes: 0 RESERVED, 3 back to selection (the port was taken meanwhile: pick again), 2 refused, 4 not found.`,
  )
  .action(async (viabilityId: string, opts: { box: string; splitter?: string; port?: number } & Output) => {
    await withClient(async (client) => {
      const state = await withSpinner(`Reserving the chosen port for ${viabilityId}…`, !opts.json, () =>
        client.select(viabilityId, { boxId: opts.box, splitterId: opts.splitter, port: opts.port }),
      );
      print(state, opts);
      return state.status === 'RESERVED' ? EXIT.ok : EXIT.noReservation;
    });
  });

program
  .command('move')
  .description('move a RESERVED reservation to another box (or splitter port) within its radius')
  .argument('<viabilityId>')
  .requiredOption('--box <boxId>', 'OZmap box id within the reservation radius')
  .option('--splitter <splitterId>', 'OZmap splitter id (default: the first with a free port)')
  .addOption(new Option('--port <port>', 'port number (default: the first free one)').argParser(wholeNumber('--port')))
  .option('--reason <text>', 'why it moves, kept in the reservation changes')
  .option('--json', 'print JSON (the state after the move)')
  .addHelpText(
    'after',
    `
Examples:
  $ ozres move V-1042 --box 64f0c0ffee0000000000abcd
  $ ozres move V-1042 --box 64f0c0ffee0000000000abcd --splitter 64f0c0ffee0000000000beef --port 5 \\
      --reason "caixa do outro lado da rua"

The same OZmap client moves to the new port and the old port is freed; the hold's end does not change.
Exit codes: 0 moved, 2 invalid input or refused (not RESERVED, box outside the radius or without a free port,
            port taken meanwhile: nothing changed), 4 not found, 1 failure.`,
  )
  .action(
    async (viabilityId: string, opts: { box: string; splitter?: string; port?: number; reason?: string } & Output) => {
      await withClient(async (client) => {
        const move = { boxId: opts.box, splitterId: opts.splitter, port: opts.port, reason: opts.reason };
        const state = await withSpinner(`Moving ${viabilityId} to box ${opts.box}…`, !opts.json, () =>
          client.changeBox(viabilityId, move),
        );
        console.log(opts.json ? JSON.stringify(state, null, 2) : formatChange(state, 'box'));
        return EXIT.ok;
      });
    },
  );

program
  .command('extend')
  .description("extend a RESERVED reservation's hold by whole days")
  .argument('<viabilityId>')
  .requiredOption('--days <n>', 'days to add (1-90)', wholeNumber('--days'))
  .option('--reason <text>', 'why, kept in the reservation changes')
  .option('--json', 'print JSON (the state after the extension)')
  .addHelpText(
    'after',
    `
Examples:
  $ ozres extend V-1042 --days 15
  $ ozres extend V-1042 --days 7 --reason "cliente pediu mais prazo"

The hold may not end more than RESERVATION_MAX_HOLD_DAYS (default 90) after it was reserved.
Exit codes: 0 extended, 2 invalid input or refused (not RESERVED, beyond the longest hold), 4 not found, 1 failure.`,
  )
  .action(async (viabilityId: string, opts: { days: number; reason?: string } & Output) => {
    await withClient(async (client) => {
      const state = await client.extendHold(viabilityId, { days: opts.days, reason: opts.reason });
      console.log(opts.json ? JSON.stringify(state, null, 2) : formatChange(state, 'extension'));
      return EXIT.ok;
    });
  });

for (const [name, description, field] of [
  ['confirm', 'confirm the sale: the OZmap client becomes implanted', 'note'],
  ['cancel', 'cancel the reservation: the port is released', 'reason'],
] as const) {
  program
    .command(name)
    .description(description)
    .argument('<viabilityId>')
    .option(`--${field} <text>`, field === 'note' ? 'a note kept with the confirmation' : 'why it was cancelled')
    .option('--no-wait', 'return once the signal is sent, without waiting for the final state')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ ozres ${name} V-1042 --${field} "${field === 'note' ? 'instalado em 02/12' : 'cliente desistiu'}"
  $ ozres ${name} V-1042 --no-wait          # send and return; the workflow ` +
        `${name === 'confirm' ? 'implants the client' : 'releases the port'} on its own

A reservation that already ended is refused with how it ended (exit code 2); none at all is exit code 4.`,
    )
    .action(async (viabilityId: string, opts: { note?: string; reason?: string; wait: boolean } & Output) => {
      await withClient(async (client) => {
        const payload = { [field]: opts[field] };
        if (name === 'confirm') await client.confirm(viabilityId, payload);
        else await client.cancel(viabilityId, payload);
        if (!opts.wait) {
          if (!opts.json) console.log(`Sent ${name} to ${viabilityId}.`);
          else console.log(JSON.stringify({ viabilityId, sent: name }));
          return EXIT.ok;
        }
        print(
          await withSpinner(
            name === 'confirm' ? 'Implanting the client in OZmap…' : 'Releasing the port…',
            !opts.json,
            () => client.result(viabilityId),
          ),
          opts,
        );
        return EXIT.ok;
      });
    });
}

withCustomerOptions(program.command('link'))
  .description(
    'print a signed link to the viability map page, where the salesperson picks the box (as Ispbox opens it)',
  )
  .option('--ttl <seconds>', 'how long the link works', wholeNumber('--ttl'), DEFAULT_LINK_TTL_SECONDS)
  .option('--base-url <url>', 'where the HTTP server answers (default: http://HTTP_HOST:HTTP_PORT)')
  .addHelpText(
    'after',
    `
Examples:
  $ ozres link --viability V-1044 --code C-79 --name "Ana" --address "Rua Felipe Schmidt, 300, Florianópolis"
  $ ozres link --viability V-1045 --code C-80 --name "Rui" --lat -27.5935 --lng -48.5585 ` +
      `--base-url https://reservas.isp.example

The link is signed with a key derived from ISPBOX_API_KEY, or with VIABILITY_LINK_SECRET
(HMAC-SHA256, see docs/map-page.md), so the salesperson's browser never holds the key.`,
  )
  .action((opts: CustomerOptions & { ttl: number; baseUrl?: string }) => {
    const { http } = loadConfig(process.env, 'client');
    const url = viabilityPageUrl({
      baseUrl: opts.baseUrl ?? `http://${hostPort(http.host, http.port)}`,
      apiKey: http.ispboxApiKey,
      linkSecret: http.linkSecret,
      ttlSeconds: opts.ttl,
      input: customerInput(opts),
    });
    console.log(url);
  });

program
  .command('reconcile')
  .description(
    'run the reconciler now for one tenant: release its orphaned OZmap reservations, confirm implanted ones, ' +
      'report gone ones',
  )
  .option('--tenant <id>', "the tenant whose OZmap and reservations are reconciled (default: the environment's)")
  .option('--dry-run', 'report what would be done; change nothing in OZmap or Temporal')
  .option(
    '--page-size <n>',
    'OZmap properties read per page (1-1000; default RECONCILE_PAGE_SIZE)',
    wholeNumber('--page-size'),
  )
  .option('--json', 'print the report as JSON')
  .addHelpText(
    'after',
    `
Examples:
  $ ozres reconcile --dry-run          # what the daily run would do, nothing changed
  $ ozres reconcile                    # release orphans, confirm reservations implanted in OZmap
  $ ozres reconcile --json | jq .ids.gone
  $ ozres reconcile --json | jq .ids.suspect   # property ids with our marker that are not ours
  $ ozres reconcile --tenant acme --dry-run    # the tenant acme's OZmap and reservations

Runs the same ReconcileWorkflow as the daily Schedule (RECONCILE_SCHEDULE, which runs one per enabled tenant) for
one tenant, "default" without --tenant, and waits for its report; it shows in the Web UI as
reconcile-<task queue>-manual-<time> (reconcile-<task queue>-<tenant>-manual-<time> for another tenant), with the
search attribute TenantId. Only that tenant's markers are its own: another tenant's, in a shared OZmap, are left
alone. Never deletes an implanted client, nor a property whose client
lacks the marker or has another customer's code (reported as suspect, with any implanted one that is not the held
reservation's: only a reservation's own implanted client is confirmed).
Exit codes: 0 done (whatever it found), 2 invalid option, 1 failure (Temporal or OZmap unreachable).`,
  )
  .action(async (opts: { dryRun?: boolean; pageSize?: number; tenant?: string } & Output) => {
    const config = loadConfig(process.env, 'client');
    if (
      opts.pageSize !== undefined &&
      !(Number.isInteger(opts.pageSize) && opts.pageSize >= 1 && opts.pageSize <= 1000)
    )
      throw new InvalidInputError([{ field: '--page-size', message: 'must be a whole number from 1 to 1000' }]);
    if (opts.tenant !== undefined && !TENANT_ID_PATTERN.test(opts.tenant))
      throw new InvalidInputError([
        {
          field: '--tenant',
          message:
            'must be a tenant id: 1-32 of a-z, 0-9 and "-", starting and ending with a letter or digit ' +
            `(not "${opts.tenant}")`,
        },
      ]);
    await withClient(async (client) => {
      const doing = `Reconciling${opts.tenant ? ` tenant ${opts.tenant}` : ''}${opts.dryRun ? ' (dry run)' : ''}…`;
      const report = await withSpinner(doing, !opts.json, () =>
        runReconcile(client.client, client.taskQueue, {
          dryRun: opts.dryRun === true,
          pageSize: opts.pageSize ?? config.reconciler.pageSize,
          ...(opts.tenant !== undefined && { tenantId: opts.tenant }),
        }),
      );
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatReconcileReport(report));
      return EXIT.ok;
    });
  });

registerDoctor(program);
registerTenants(program);
registerBatch(program);

interface CustomerOptions {
  viability: string;
  code: string;
  name: string;
  address?: string;
  lat?: number;
  lng?: number;
  radius?: number;
}

/** The viability, customer and location options that `reserve` and `link` share. */
function withCustomerOptions(command: Command): Command {
  return command
    .requiredOption('--viability <id>', 'Ispbox viability id (becomes workflow id reservation-<id>)')
    .requiredOption('--code <code>', 'customer (OZmap client) code')
    .requiredOption('--name <name>', 'customer name')
    .option('--address <address>', 'customer address, geocoded when no coordinates are given')
    .option('--lat <lat>', 'latitude', decimal('--lat'))
    .option('--lng <lng>', 'longitude', decimal('--lng'))
    .option('--radius <metres>', 'search radius in metres', wholeNumber('--radius'));
}

function customerInput(opts: CustomerOptions) {
  if ((opts.lat === undefined) !== (opts.lng === undefined))
    throw new InvalidInputError([{ field: 'coordinates', message: 'give both --lat and --lng' }]);
  return {
    viabilityId: opts.viability,
    customer: { code: opts.code, name: opts.name },
    address: opts.address,
    coordinates: opts.lat !== undefined && opts.lng !== undefined ? { lat: opts.lat, lng: opts.lng } : undefined,
    radiusMeters: opts.radius,
  };
}

function print(state: ReservationState, opts: Output): void {
  console.log(opts.json ? JSON.stringify(state, null, 2) : formatState(state));
}

async function withClient(fn: (client: ReservationsClient) => Promise<number>): Promise<void> {
  const client = await ReservationsClient.connect(loadConfig(process.env, 'client'));
  try {
    process.exitCode = await fn(client);
  } finally {
    await client.close();
  }
}

program.parseAsync().catch((err: unknown) => {
  console.error(errorText(err));
  process.exitCode = exitCodeFor(err);
});
