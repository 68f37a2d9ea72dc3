/**
 * The Temporal server as four processes on PostgreSQL (docs/deployment.md): the databases and their schemas
 * (temporal-sql-tool), one generated config per service (they differ only in the metrics address: Temporal has one
 * `global.metrics` per process), the dynamic config, the processes, and the namespace with the search attributes.
 * Based on the server module's `config/development-postgres12.yaml`: 4 history shards, SQL visibility.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { hostPort } from '../../net/hosts.ts';
import { ensureSearchAttributes, isPortOpen, retryUntil } from '../dev-server.ts';
import type { ClusterBinaries } from './binaries.ts';
import { PG_USER, type PostgresPlan } from './postgres.ts';
import type { ClusterLayout } from './layout.ts';
import type { ProcessSpec } from './supervisor.ts';

export const TEMPORAL_SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

const DATABASES = { temporal: 'temporal', visibility: 'temporal_visibility' } as const;

// ---------------------------------------------------------------------------------------------------------------
// Schema

/** Creates both databases if missing and brings their schemas to this release's version (idempotent). */
export async function setUpSchemas(bin: ClusterBinaries, pg: PostgresPlan, log: (line: string) => void) {
  for (const [kind, database] of Object.entries(DATABASES)) {
    const base = ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(pg.port), '-u', PG_USER];
    const db = [...base, '--db', database];
    // All three are idempotent in temporal-sql-tool: create-database ignores an existing one, setup-schema -v 0.0
    // keeps a higher recorded version, update-schema applies only the versions after the recorded one.
    for (const command of [['create-database'], ['setup-schema', '-v', '0.0']]) {
      const result = await sqlTool(bin, pg, [...db, ...command]);
      if (result.code !== 0) throw new Error(`temporal-sql-tool ${command[0]} (${database}) failed:\n${result.output}`);
    }
    const versioned = path.join(bin.schemaDir, kind, 'versioned');
    const update = await sqlTool(bin, pg, [...db, 'update-schema', '-d', versioned]);
    if (update.code !== 0) throw new Error(`temporal-sql-tool update-schema (${database}) failed:\n${update.output}`);
  }
  log('[schema] temporal and temporal_visibility are at the schema of Temporal server v1.29.1');
}

/** The password goes in the environment (SQL_PASSWORD), not the command line that `ps` shows. */
function sqlTool(bin: ClusterBinaries, pg: PostgresPlan, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin.sqlTool, args, {
      env: { ...process.env, SQL_PASSWORD: pg.password },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, output: output.split(pg.password).join('***') }));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Config

const q = (value: string) => JSON.stringify(value); // a JSON string is a valid YAML scalar

/** Writes `<root>/config/<service>.yaml` for each service and the dynamic config; readable by the owner only. */
export async function writeTemporalConfig(layout: ClusterLayout, pg: PostgresPlan): Promise<void> {
  const dir = path.join(layout.temporalRoot, 'config');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const service of TEMPORAL_SERVICES) {
    await writeFile(path.join(dir, `${service}.yaml`), serverConfig(layout, pg, service), { mode: 0o600 });
  }
  await writeFile(path.join(dir, 'dynamicconfig.yaml'), DYNAMIC_CONFIG, { mode: 0o600 });
}

function serverConfig(layout: ClusterLayout, pg: PostgresPlan, service: TemporalService): string {
  const store = (database: string, maxConns: number) => `
      sql:
        pluginName: "postgres12"
        databaseName: ${q(database)}
        connectAddr: ${q(`127.0.0.1:${pg.port}`)}
        connectProtocol: "tcp"
        user: ${q(PG_USER)}
        password: ${q(pg.password)}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
  const services = TEMPORAL_SERVICES.map((name) => {
    const ports = layout.temporal[name];
    return `
  ${name}:
    rpc:
      grpcPort: ${ports.grpc}
      membershipPort: ${ports.membership}
      bindOnLocalHost: true${name === 'frontend' ? `\n      httpPort: ${layout.temporal.frontend.http}` : ''}`;
  }).join('');
  return `# Generated by npm run start:cluster (scripts/cluster/temporal.ts): edits are overwritten at the next start.
log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:${store(DATABASES.temporal, 20)}
    postgres-visibility:${store(DATABASES.visibility, 5)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: ${q(`127.0.0.1:${layout.temporal[service].metrics}`)}

services:${services}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: ${q(layout.temporalAddress)}

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: "config/dynamicconfig.yaml"
  pollInterval: "10s"
`;
}

/** The sample's development-sql settings this project needs: updates, multi-operations, Worker Deployments. */
const DYNAMIC_CONFIG = `# Generated by npm run start:cluster (scripts/cluster/temporal.ts).
limit.maxIDLength:
  - value: 255
frontend.enableUpdateWorkflowExecution:
  - value: true
frontend.enableUpdateWorkflowExecutionAsyncAccepted:
  - value: true
frontend.enableExecuteMultiOperation:
  - value: true
frontend.workerVersioningDataAPIs:
  - value: true
frontend.workerVersioningWorkflowAPIs:
  - value: true
frontend.workerVersioningRuleAPIs:
  - value: true
system.enableDeploymentVersions:
  - value: true
system.enableDeployments:
  - value: true
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
frontend.enableServerVersionCheck:
  - value: false
`;

// ---------------------------------------------------------------------------------------------------------------
// Processes

export function temporalProcess(bin: ClusterBinaries, layout: ClusterLayout, service: TemporalService): ProcessSpec {
  const ports = layout.temporal[service];
  return {
    name: service,
    command: bin.server,
    args: ['--root', layout.temporalRoot, '--config', 'config', '--env', service, '--allow-no-auth', 'start'].concat(
      `--service=${service}`,
    ),
    cwd: layout.temporalRoot,
    stopGraceMs: 20_000,
    // The worker service serves no gRPC API of its own: it is ready once it has joined the membership ring.
    ready: () => isPortOpen('127.0.0.1', service === 'worker' ? ports.membership : ports.grpc),
    readyTimeoutMs: 90_000,
    // The config loader prints these two lines on every start.
    quiet: /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d Loading config/,
    format: serverLogLine,
  };
}

/** The server logs JSON with a stack trace on every error: one line with the level, message and error instead. */
export function serverLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const error = typeof entry.error === 'string' ? `  error=${entry.error.slice(0, 300)}` : '';
    const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v ?? ''));
    return `${text(entry.level ?? 'info').toUpperCase()} ${text(entry.msg)}${error}`;
  } catch {
    return line;
  }
}

/** The frontend answers, the namespace exists and the project's search attributes are registered. */
export async function prepareNamespace(layout: ClusterLayout, namespace: string, log: (line: string) => void) {
  const connection = await retryUntil(
    () => Connection.connect({ address: layout.temporalAddress, connectTimeout: 5_000 }),
    120_000,
  );
  try {
    await retryUntil(() => connection.workflowService.getSystemInfo({}), 120_000);
    try {
      await connection.workflowService.describeNamespace({ namespace });
    } catch (error) {
      if (!isGrpcServiceError(error) || Number(error.code) !== 5 /* NOT_FOUND */) throw error;
      log(`[temporal] registering namespace ${namespace} (retention 7 days)`);
      await connection.workflowService
        .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('7 days') })
        .catch((e: unknown) => {
          if (!isGrpcServiceError(e) || Number(e.code) !== 6 /* ALREADY_EXISTS */) throw e;
        });
    }
    // The frontend learns of a new namespace on its next cache refresh: retry until it accepts the attributes.
    const added = await retryUntil(() => ensureSearchAttributes(connection, namespace), 60_000, 1_000);
    if (added.length > 0) log(`[temporal] registered search attributes ${added.join(', ')}`);
    await retryUntil(() => connection.workflowService.describeNamespace({ namespace }), 60_000);
  } finally {
    await connection.close();
  }
}

export const frontendAddress = (layout: ClusterLayout) => hostPort('127.0.0.1', layout.temporal.frontend.grpc);
