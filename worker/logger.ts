/** One pino logger per process; Temporal's own logs are routed through it. Secrets are redacted by name. */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { pino, type Logger } from 'pino';

export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers.authorization', 'key'],
      censor: '***',
    },
  });
}

const TEMPORAL_LEVELS: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

/**
 * Installs the Temporal runtime once per process, logging through `logger`; with `metricsAddress`, the SDK's metrics
 * (task latencies, pollers, slots…) are served there for Prometheus (docs/deployment.md).
 */
export function installTemporalRuntime(logger: Logger, metricsAddress?: string): void {
  const level = TEMPORAL_LEVELS[logger.level] ?? 'INFO';
  Runtime.install({
    ...(metricsAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress, useSecondsForDurations: true } } } }
      : {}),
    logger: new DefaultLogger(level, ({ level: l, message, meta }) => {
      const method =
        l === 'TRACE' ? 'trace' : l === 'DEBUG' ? 'debug' : l === 'WARN' ? 'warn' : l === 'ERROR' ? 'error' : 'info';
      logger[method](meta ?? {}, message);
    }),
  });
}
