/**
 * Temporal: reachable, credentials accepted, namespace present, the five search attributes registered with the
 * right types (docs/architecture.md, "Search attributes"), and a worker polling the task queue. Each later check needs
 * the earlier ones, so an
 * unreachable server is one ✗ that says what was not checked, not five.
 */
import {
  Connection,
  defaultGrpcRetryOptions,
  isGrpcServiceError,
  makeGrpcRetryInterceptor,
  type ConnectionOptions,
} from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { tsToDate } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import type { Config } from '../config/env.ts';
import { temporalConnectionOptions } from '../config/temporal.ts';
import { SEARCH_ATTRIBUTE_KEYS } from '../contract/search-attributes.ts';
import { describeError, fail, pass, warn, type Check } from './checks.ts';

const GRPC = { NOT_FOUND: 5, PERMISSION_DENIED: 7, UNIMPLEMENTED: 12, UNAUTHENTICATED: 16 } as const;

/** A long poll lasts up to a minute: a worker seen within two is polling (as GET /healthz counts them). */
const POLLER_WINDOW_MS = 120_000;

export interface TemporalCheckOptions {
  timeoutMs?: number;
}

export async function temporalChecks(config: Config['temporal'], options: TemporalCheckOptions = {}): Promise<Check[]> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const where = `Temporal at ${config.address}`;
  let connectionOptions: ConnectionOptions;
  try {
    connectionOptions = temporalConnectionOptions(config);
  } catch (err) {
    return [
      fail(
        'temporal.tls-files',
        'Temporal TLS files',
        `cannot read a TLS file: ${describeError(err)}`,
        'check TEMPORAL_TLS_CERT_PATH, TEMPORAL_TLS_KEY_PATH and TEMPORAL_TLS_CA_PATH name readable files',
      ),
    ];
  }
  let connection: Connection;
  try {
    connection = await Connection.connect({
      ...connectionOptions,
      connectTimeout: timeoutMs,
      // One attempt: the doctor reports an outage, it does not wait it out.
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 1 }))],
    });
  } catch (err) {
    return [connectFailure(err, where, config)];
  }
  const checks: Check[] = [];
  try {
    const bounded = <T>(fn: () => Promise<T>) => connection.withDeadline(Date.now() + timeoutMs, fn);
    const namespace = config.namespace;
    try {
      await bounded(() => connection.workflowService.describeNamespace({ namespace }));
    } catch (err) {
      checks.push(pass('temporal.reachable', 'Temporal', `${where} answers`));
      checks.push(namespaceFailure(err, namespace, config));
      return checks;
    }
    checks.push(
      pass(
        'temporal.reachable',
        'Temporal',
        `${where} answers${config.apiKey || config.tls ? ' and accepts the credentials' : ''}`,
      ),
      pass('temporal.namespace', 'Temporal namespace', `namespace "${namespace}" exists`),
    );
    checks.push(await searchAttributeCheck(connection, namespace, bounded));
    checks.push(await workerCheck(connection, namespace, config.taskQueue, bounded));
    return checks;
  } finally {
    await connection.close();
  }
}

function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e)) return Number(e.code);
  }
  return undefined;
}

const isAuthError = (err: unknown) => {
  const code = grpcCode(err);
  return code === GRPC.UNAUTHENTICATED || code === GRPC.PERMISSION_DENIED;
};

function authFix(config: Config['temporal']): string {
  if (config.apiKey) return 'check TEMPORAL_API_KEY (not expired, allowed on this namespace)';
  if (config.tls?.certPath) return 'check TEMPORAL_TLS_CERT_PATH/TEMPORAL_TLS_KEY_PATH: the CA must trust the cert';
  return 'this server wants credentials: set TEMPORAL_API_KEY, or TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH';
}

function connectFailure(err: unknown, where: string, config: Config['temporal']): Check {
  const notChecked = 'namespace, search attributes and workers not checked';
  const reason = describeError(err);
  const cause = (err as { cause?: unknown }).cause;
  const detail = cause ? `${reason} (${describeError(cause)})` : reason;
  if (isAuthError(err)) {
    return fail(
      'temporal.auth',
      'Temporal credentials',
      `authentication error: ${where} refused the credentials (${detail}); ${notChecked}`,
      authFix(config),
    );
  }
  if (config.tls && /ssl|tls|certificate|handshake|wrong version/i.test(detail)) {
    return fail(
      'temporal.tls',
      'Temporal TLS',
      `TLS error talking to ${where}: ${detail}; ${notChecked}`,
      'check TEMPORAL_TLS, TEMPORAL_TLS_CA_PATH and TEMPORAL_TLS_SERVER_NAME match the server ' +
        '(a local dev server has no TLS)',
    );
  }
  return fail(
    'temporal.reachable',
    'Temporal',
    `${where} did not answer: ${detail}; ${notChecked}`,
    'start Temporal (npm start runs a dev server) or set TEMPORAL_ADDRESS to where it listens (host:port)',
  );
}

function namespaceFailure(err: unknown, namespace: string, config: Config['temporal']): Check {
  if (isAuthError(err)) {
    return fail(
      'temporal.auth',
      'Temporal credentials',
      `authentication error: the credentials are not accepted for namespace "${namespace}" (${describeError(err)})`,
      authFix(config),
    );
  }
  if (grpcCode(err) === GRPC.NOT_FOUND) {
    return fail(
      'temporal.namespace',
      'Temporal namespace',
      `namespace "${namespace}" does not exist`,
      `create it (temporal operator namespace create --namespace ${namespace}) or set TEMPORAL_NAMESPACE`,
    );
  }
  return fail(
    'temporal.namespace',
    'Temporal namespace',
    `describing namespace "${namespace}" failed: ${describeError(err)}`,
    'check that TEMPORAL_ADDRESS is a Temporal frontend and TEMPORAL_NAMESPACE is right',
  );
}

type Bounded = <T>(fn: () => Promise<T>) => Promise<T>;

const typeName = (type: number | undefined) =>
  Object.values(SearchAttributeType).find((name) => encodeSearchAttributeIndexedValueType(name) === type) ?? `#${type}`;

/** The contract's keys (contract/search-attributes.ts) against listSearchAttributes, by name and type. */
async function searchAttributeCheck(connection: Connection, namespace: string, bounded: Bounded): Promise<Check> {
  const id = 'temporal.search-attributes';
  const title = 'Temporal search attributes';
  let registered: Record<string, number>;
  try {
    const res = await bounded(() => connection.operatorService.listSearchAttributes({ namespace }));
    registered = { ...res.customAttributes };
  } catch (err) {
    const code = grpcCode(err);
    if (code === GRPC.UNIMPLEMENTED || code === GRPC.PERMISSION_DENIED) {
      // Temporal Cloud manages search attributes in its own console; the operator service may not list them.
      return warn(
        id,
        title,
        `could not list them (${describeError(err)})`,
        `check in the server's console that ${SEARCH_ATTRIBUTE_KEYS.map((k) => `${k.name} (${k.type})`).join(', ')} ` +
          'exist',
      );
    }
    throw err;
  }
  const problems: string[] = [];
  const commands: string[] = [];
  for (const key of SEARCH_ATTRIBUTE_KEYS) {
    const wanted: number | undefined = encodeSearchAttributeIndexedValueType(key.type);
    const seen = registered[key.name];
    if (seen === undefined) problems.push(`${key.name} is missing`);
    else if (seen !== wanted) problems.push(`${key.name} is ${typeName(seen)}, not ${key.type}`);
    else continue;
    const typeArg = key.type === SearchAttributeType.DATETIME ? 'Datetime' : 'Keyword';
    commands.push(
      `temporal operator search-attribute create --namespace ${namespace} --name ${key.name} --type ${typeArg}`,
    );
  }
  const names = SEARCH_ATTRIBUTE_KEYS.map((k) => k.name).join(', ');
  if (problems.length === 0)
    return pass(id, title, `${names} registered with the right types`, 'docs/architecture.md, "Search attributes"');
  return fail(
    id,
    title,
    `${problems.join('; ')} in namespace "${namespace}" (list and search would not work)`,
    `${commands.join(' && ')} (npm start registers them on the servers it starts; ` +
      'a wrongly typed one must be removed first)',
    'docs/architecture.md, "Search attributes"',
  );
}

async function workerCheck(
  connection: Connection,
  namespace: string,
  taskQueue: string,
  bounded: Bounded,
): Promise<Check> {
  // As ReservationsClient.pollers does (kept separate here: the doctor needs no client library).
  const res = await bounded(() =>
    connection.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    }),
  );
  const recent = (res.pollers ?? []).filter(
    (p) => !p.lastAccessTime || Date.now() - tsToDate(p.lastAccessTime).getTime() <= POLLER_WINDOW_MS,
  );
  if (recent.length === 0) {
    return fail(
      'temporal.worker',
      'Worker',
      `no worker polls task queue "${taskQueue}": reservations would start and never progress`,
      `start a worker (npm run worker) with TEMPORAL_TASK_QUEUE=${taskQueue} and the same namespace`,
    );
  }
  return pass(
    'temporal.worker',
    'Worker',
    `${recent.length} worker${recent.length === 1 ? '' : 's'} polling task queue "${taskQueue}"`,
  );
}
