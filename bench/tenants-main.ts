/**
 * The per-tenant figures alone (bench/tenants.ts), without the rest of `npm run bench`:
 *   npx tsx bench/tenants-main.ts [--quick]
 * The worker is configured from the environment as in production (WORKER_*, TENANT_ACTIVITIES_PER_SECOND, ...).
 */
import { tenantLines } from './tenant-report.ts';
import { measureTenants } from './tenants.ts';

const log = (line: string) => console.log(line);
try {
  const figures = await measureTenants(log, process.argv.includes('--quick'));
  for (const line of tenantLines(figures)) log(line);
  log(`  (worker ${figures.workerOptions})`);
} catch (err) {
  console.error('the tenants bench failed:', err);
  process.exitCode = 1;
}
// B's hung requests and the worker's children must not keep this process alive.
process.exit(process.exitCode ?? 0);
