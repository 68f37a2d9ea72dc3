/**
 * The doctor's report lines, and the checks the worker runs for the HTTP API (docs/architecture.md, "Doctor"): the
 * checks that need the OZmap and geocoder keys run where those keys are, on the worker, through DoctorWorkflow, so
 * that the API process needs neither. Plain types: the workflow bundle reads them.
 */

/** pass ✓, fail ✗ (a sale would not work, or a fact the product relies on does not hold), warn ! (works; look). */
export type CheckStatus = 'pass' | 'fail' | 'warn';

export interface Check {
  /** Stable, for scripts and bug reports: `<area>.<fact>`, e.g. `temporal.worker`, `conformance.near-radius`. */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was seen. Strings from OZmap in it are data, quoted as such. */
  finding: string;
  /** What to do about it; absent when it passes. */
  fix?: string;
  /** Where the fact is documented, e.g. OZmap fact O5. */
  reference?: string;
}

export const DOCTOR_WORKFLOW_TYPE = 'DoctorWorkflow';

/** What the worker is asked to check: OZmap and the geocoder, and with `conformance` every OZmap fact read-only. */
export interface UpstreamCheckOptions {
  conformance: boolean;
  /**
   * A tenant other than `default` (`ozres doctor --tenant`, a tenant's GET /v1/doctor): its OZmap, as the worker's
   * registry says.
   */
  tenantId?: string;
}

/** The worker's doctor activity, as DoctorWorkflow calls it (doctor/worker-activities.ts implements it). */
export interface DoctorActivities {
  upstreamChecks(options: UpstreamCheckOptions): Promise<Check[]>;
}

/** One run at a time per task queue, kind and tenant: concurrent asks share it (the id is reused once it ends). */
export const doctorIdFor = (taskQueue: string, options: UpstreamCheckOptions): string =>
  `doctor-${taskQueue}-${options.conformance ? 'conformance' : 'upstream'}` +
  (options.tenantId === undefined ? '' : `-${options.tenantId}`);
