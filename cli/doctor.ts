/**
 * `ozres doctor`: registered on the CLI's program (cli/main.ts). Exit codes: 0 everything a sale needs holds,
 * 1 a check failed, 2 bad usage (e.g. --write without --box).
 */
import type { Command } from 'commander';
import { runDoctor } from '../doctor/index.ts';
import { formatJson, formatText } from '../doctor/report.ts';
import { decimal } from './options.ts';

interface DoctorFlags {
  json?: boolean;
  ozmap?: boolean;
  lat?: number;
  lng?: number;
  radius?: number;
  write?: boolean;
  box?: string;
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
    .option('--json', 'print JSON ({ ok, checks, summary })')
    .addHelpText(
      'after',
      `
Examples:
  $ ozres doctor
  $ ozres doctor --ozmap --lat -27.5935 --lng -48.5585
  $ ozres doctor --ozmap --write --box 64f0c0ffee0000000000abcd
  $ ozres doctor --json | jq '.checks[] | select(.status == "fail")'

One line per check: ✓ holds, ✗ fails (with the fix), ! works but look. See docs/operations.md, "Before the first sale".
Exit codes: 0 ready for a sale, 1 a check failed, 2 bad usage.`,
    )
    .action(async (flags: DoctorFlags) => {
      const usage = usageProblem(flags);
      if (usage) {
        console.error(`Invalid input:\n  - ${usage}`);
        process.exitCode = 2;
        return;
      }
      const report = await runDoctor({
        env: process.env,
        ozmap: flags.ozmap,
        point: flags.lat !== undefined && flags.lng !== undefined ? { lat: flags.lat, lng: flags.lng } : undefined,
        radiusMeters: flags.radius,
        write: flags.write && flags.box ? { boxId: flags.box } : undefined,
      });
      console.log(flags.json ? formatJson(report) : formatText(report));
      process.exitCode = report.ok ? 0 : 1;
    });
}

function usageProblem(flags: DoctorFlags): string | undefined {
  if (flags.write && !flags.box)
    return '--box: is required with --write (the write test touches only the box you name): add --box <boxId>';
  if (flags.write && !flags.ozmap) return '--write: goes with --ozmap: run ozres doctor --ozmap --write --box <boxId>';
  if ((flags.lat === undefined) !== (flags.lng === undefined)) return '--lat/--lng: give both, or neither';
  if (flags.radius !== undefined && flags.radius <= 0) return '--radius: must be a positive number of metres';
  return undefined;
}
