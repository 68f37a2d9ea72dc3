/**
 * `ozres doctor`: registered on the CLI's program (cli/main.ts). Exit codes: 0 everything a sale needs holds,
 * 1 a check failed, 2 bad usage (e.g. --write without --box, a malformed --tenant), 4 no such tenant.
 */
import type { Command } from 'commander';
import { TENANT_ID_PATTERN } from '../contract/ids.ts';
import { runDoctor, UnknownTenantError } from '../doctor/index.ts';
import { formatJson, formatText } from '../doctor/report.ts';
import { EXIT } from './exit-codes.ts';
import { decimal } from './options.ts';

interface DoctorFlags {
  json?: boolean;
  ozmap?: boolean;
  lat?: number;
  lng?: number;
  radius?: number;
  write?: boolean;
  box?: string;
  tenant?: string;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check that everything a sale needs holds: configuration, Temporal, worker, OZmap, geocoder')
    .option('--ozmap', 'also check, read-only, each OZmap fact the product relies on (conformance)')
    .option(
      '--lat <lat>',
      'conformance: latitude of a served area (default: the first box OZmap lists)',
      decimal('--lat'),
    )
    .option('--lng <lng>', 'conformance: longitude', decimal('--lng'))
    .option('--radius <metres>', 'conformance: search radius (default OZMAP_RADIUS_METERS)', decimal('--radius'))
    .option('--write', 'with --ozmap: reserve and release a test client on --box (reversible)')
    .option('--box <boxId>', 'the box the write test may use (required with --write)')
    .option(
      '--tenant <id>',
      "check this tenant's setup instead of the environment's: its registry entry (enabled, settings, webhook, " +
        'live keys) and its OZmap, with the URL and key the registry holds',
    )
    .option('--json', 'print JSON ({ ok, checks, summary }, and tenant with --tenant)')
    .addHelpText(
      'after',
      `
Examples:
  $ ozres doctor
  $ ozres doctor --ozmap --lat -27.5935 --lng -48.5585
  $ ozres doctor --ozmap --write --box 64f0c0ffee0000000000abcd
  $ ozres doctor --json | jq '.checks[] | select(.status == "fail")'
  $ ozres doctor --tenant acme              # acme's OZmap, settings, webhook and keys
  $ ozres doctor --tenant acme --ozmap      # + the conformance on acme's OZmap, at acme's radius

One line per check: ✓ holds, ✗ fails (with the fix), ! works but look. See docs/operations.md, "Before the first sale".
--tenant reads the tenant registry as the worker does (TENANT_SECRETS_KEY, DATABASE_URL or the data folder): run it
with the worker's environment. No key or secret is ever printed; the keys are only counted.
Exit codes: 0 ready for a sale, 1 a check failed, 2 bad usage, 4 no such tenant.`,
    )
    .action(async (flags: DoctorFlags) => {
      const usage = usageProblem(flags);
      if (usage) {
        console.error(`Invalid input:\n  - ${usage}`);
        process.exitCode = EXIT.invalid;
        return;
      }
      let report;
      try {
        report = await runDoctor({
          env: process.env,
          ozmap: flags.ozmap,
          point: flags.lat !== undefined && flags.lng !== undefined ? { lat: flags.lat, lng: flags.lng } : undefined,
          radiusMeters: flags.radius,
          write: flags.write && flags.box ? { boxId: flags.box } : undefined,
          tenant: flags.tenant,
        });
      } catch (err) {
        if (!(err instanceof UnknownTenantError)) throw err;
        console.error(
          `--tenant: ${err.message}; give the id of a tenant (ozres tenants list), ` +
            `or add it first: ozres tenants add ${err.tenantId} --name … --ozmap-url … --ozmap-key -`,
        );
        process.exitCode = EXIT.notFound;
        return;
      }
      console.log(flags.json ? formatJson(report) : formatText(report));
      process.exitCode = report.ok ? EXIT.ok : EXIT.failure;
    });
}

function usageProblem(flags: DoctorFlags): string | undefined {
  if (flags.write && !flags.box)
    return '--box: is required with --write (the write test touches only the box you name): add --box <boxId>';
  if (flags.write && !flags.ozmap) return '--write: goes with --ozmap: run ozres doctor --ozmap --write --box <boxId>';
  if ((flags.lat === undefined) !== (flags.lng === undefined)) return '--lat/--lng: give both, or neither';
  if (flags.radius !== undefined && flags.radius <= 0) return '--radius: must be a positive number of metres';
  if (flags.tenant !== undefined && !TENANT_ID_PATTERN.test(flags.tenant))
    return (
      `--tenant: ${JSON.stringify(flags.tenant)} is no tenant id (1-32 of a-z, 0-9 and "-", starting and ending with ` +
      'a letter or digit): give the id as ozres tenants list shows it, e.g. --tenant acme'
    );
  return undefined;
}
