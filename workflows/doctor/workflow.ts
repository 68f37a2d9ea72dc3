/**
 * DoctorWorkflow (docs/architecture.md, "Doctor"): GET /v1/doctor's OZmap and geocoder checks, run on the worker
 * with its clients and keys, so that the API process needs neither. Reads only; each check reports its own failure,
 * so the one activity is not retried.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Check, DoctorActivities, UpstreamCheckOptions } from '../../contract/doctor.ts';

const { upstreamChecks } = proxyActivities<DoctorActivities>({
  startToCloseTimeout: '40 seconds',
  retry: { maximumAttempts: 1 },
});

export async function DoctorWorkflow(options: UpstreamCheckOptions): Promise<Check[]> {
  return upstreamChecks(options);
}
