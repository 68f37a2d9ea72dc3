/**
 * Records the reconciler's histories for the replay test: `npx tsx test/replay/record-reconcile.ts <tag>` writes
 * <tag>-reconcile-tenants.json (the Schedule's run over every tenant) and <tag>-reconcile-<tenant>.json (each
 * tenant's child run). A dev server, the worker process with a tenant registry, the `default` tenant's simulator and
 * tenant-b's, with an orphan in each, so that each child releases one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { loadConfig } from '../../config/env.ts';
import { externalIdFor } from '../../contract/ids.ts';
import { RECONCILE_TENANTS_WORKFLOW_TYPE, type ReconcileTenantsReport } from '../../contract/reconcile.ts';
import { openRegistry } from '../../registry/open.ts';
import { startSimulator } from '../../simulator/server.ts';
import { startStack } from '../support/stack.ts';
import { SIM_API_KEY, reservablePoints } from '../support/world.ts';
import { saveHistory } from './history-file.ts';

const tag = process.argv[2];
if (!tag || !/^v\d+$/.test(tag)) {
  console.error('Usage: npx tsx test/replay/record-reconcile.ts <tag>   (e.g. v1, as record.ts)');
  process.exit(2);
}
const TASK_QUEUE = 'record-reconcile';
const TENANT = 'tenant-b';

const dataDir = mkdtempSync(path.join(tmpdir(), 'record-reconcile-'));
const stack = await startStack({
  taskQueue: TASK_QUEUE,
  env: {
    ISPBOX_OZMAP_DATA_DIR: dataDir,
    TENANT_SECRETS_KEY: randomBytes(32).toString('base64'),
    ISPBOX_API_KEY: 'record-reconcile-default-key-0123',
    RECONCILE_SCHEDULE: 'off',
  },
});
const simB = await startSimulator({ port: 0, apiKey: SIM_API_KEY, log: () => {} });
try {
  const registry = await openRegistry(loadConfig(stack.env));
  await registry.put(TENANT, { name: TENANT, ozmap: { url: simB.url, apiKey: SIM_API_KEY } });
  await registry.close();

  /** A property with the tenant's marker that no workflow holds: an orphan its run releases. */
  const orphan = async (simUrl: string, tenantId?: string) => {
    const [point] = await reservablePoints(new OzmapClient({ baseUrl: simUrl, apiKey: SIM_API_KEY }), 1);
    const marker = externalIdFor(`ORPHAN-${tenantId ?? 'default'}`, tenantId);
    const res = await fetch(new URL('/api/v2/properties', simUrl), {
      method: 'POST',
      headers: { authorization: SIM_API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        box: point!.boxId,
        address: 'Rua órfã, 1',
        external_id: marker,
        client: { code: `K-${tenantId ?? 'default'}`, name: 'Órfão', implanted: false, external_id: marker },
      }),
    });
    if (res.status >= 300) throw new Error(`POST /properties answered ${res.status}: ${await res.text()}`);
  };
  await orphan(stack.world.simUrl);
  await orphan(simB.url, TENANT);

  const parent = await stack.client.workflow.start(RECONCILE_TENANTS_WORKFLOW_TYPE, {
    taskQueue: TASK_QUEUE,
    workflowId: `record-reconcile-${Date.now()}`,
    args: [{ taskQueue: TASK_QUEUE }],
  });
  const report = (await parent.result()) as ReconcileTenantsReport;
  if (report.failed > 0 || report.counts.released < 2)
    throw new Error(`the run did not release both orphans: ${JSON.stringify(report)}`);
  saveHistory(`${tag}-reconcile-tenants`, await parent.fetchHistory());
  for (const child of report.tenants)
    saveHistory(
      `${tag}-reconcile-${child.tenantId}`,
      await stack.client.workflow.getHandle(child.workflowId).fetchHistory(),
    );
  console.log(`recorded the run over ${report.tenants.length} tenants and each tenant's run`);
} finally {
  await simB.close();
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
