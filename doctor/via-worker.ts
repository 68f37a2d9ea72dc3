/**
 * The OZmap and geocoder checks asked of a worker (DoctorWorkflow, docs/architecture.md, "Doctor"): what GET
 * /v1/doctor runs, so that the API process holds neither the OZmap key nor the geocoder's. Concurrent asks share one
 * run (its id is per task queue and kind).
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../config/env.ts';
import { DOCTOR_WORKFLOW_TYPE, doctorIdFor, type Check, type UpstreamCheckOptions } from '../contract/doctor.ts';
import { describeError, fail } from './checks.ts';

/** Long enough for the conformance against a slow OZmap; a run nobody picks up ends on its own soon after. */
export const WORKER_CHECKS_TIMEOUT_MS = 45_000;

type DoctorWorkflowType = (options: UpstreamCheckOptions) => Promise<Check[]>;

export function upstreamOnWorker(client: Client, timeoutMs = WORKER_CHECKS_TIMEOUT_MS) {
  return async (config: Config, options: UpstreamCheckOptions): Promise<Check[]> => {
    const { taskQueue } = config.temporal;
    try {
      return await client.withAbortSignal(AbortSignal.timeout(timeoutMs), () =>
        client.workflow.execute<DoctorWorkflowType>(DOCTOR_WORKFLOW_TYPE, {
          workflowId: doctorIdFor(taskQueue, options),
          taskQueue,
          args: [options],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowExecutionTimeout: timeoutMs + 15_000,
          staticSummary: 'Doctor: OZmap and the geocoder, as the worker sees them',
        }),
      );
    } catch (err) {
      return [
        fail(
          'worker.upstream',
          'OZmap and geocoder (checked on a worker)',
          `no worker answered within ${timeoutMs / 1000} s (${describeError(err)}): OZmap and the geocoder were ` +
            'not checked',
          `start a worker on task queue ${taskQueue} (npm run worker), or run \`ozres doctor\` where the worker's ` +
            'configuration is',
        ),
      ];
    }
  };
}
