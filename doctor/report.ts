/** The doctor's report for people (one line per check) and for scripts (--json). */
import { SYMBOLS, type DoctorReport } from './checks.ts';

export function formatText(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.title.length), 0);
  const lines = report.checks.map((c) => {
    const fix = c.fix && c.status !== 'pass' ? ` → fix: ${c.fix}` : '';
    const ref = c.reference ? ` [${c.reference}]` : '';
    return `${SYMBOLS[c.status]} ${c.title.padEnd(width)}  ${c.finding}${fix}${ref}`;
  });
  const { pass, fail, warn } = report.summary;
  const tally = `${pass} ✓, ${fail} ✗, ${warn} !`;
  const whose = report.tenant === undefined ? '' : `Tenant ${report.tenant}: `;
  lines.push(
    '',
    report.ok
      ? `${whose}Ready for a sale (${tally}).`
      : `${whose}Not ready for a sale (${tally}): fix the ✗ lines. Check ids for a bug report: ` +
          report.checks
            .filter((c) => c.status === 'fail')
            .map((c) => c.id)
            .join(', '),
  );
  return lines.join('\n');
}

export function formatJson(report: DoctorReport): string {
  return JSON.stringify(report, null, 2);
}
