/**
 * Fresh candidates for moving a held reservation: the boxes within its radius as OZmap shows them now, found by
 * the worker's surveyBoxes activity through CandidateSurveyWorkflow (the caller never talks to OZmap itself), and
 * kept a short while per viability (RecentSurveys), so that a page reloading or a caller repeating costs one survey.
 */
import type { Client } from '@temporalio/client';
import { SURVEY_WORKFLOW_TYPE } from '../contract/defaults.ts';
import { DEFAULT_TENANT_ID, surveyIdFor } from '../contract/ids.ts';
import { TenantIdKey } from '../contract/search-attributes.ts';
import type { Candidate, ReservationState, UnavailableBox } from '../contract/schemas.ts';

export interface CandidateSurvey {
  viabilityId: string;
  radiusMeters: number;
  candidates: Candidate[];
  unavailableBoxes: UnavailableBox[];
  surveyedAt: string;
}

/** CandidateSurveyWorkflow's signature (the client side never imports workflows/). */
type SurveyWorkflow = (area: {
  lat: number;
  lng: number;
  radiusMeters: number;
  tenantId?: string;
}) => Promise<{ candidates: Candidate[]; unavailable: UnavailableBox[] }>;

/** Bounds a survey nobody picks up (no worker): the caller's own deadline is usually shorter. */
const SURVEY_TIMEOUT = '1 minute';

export async function surveyAround(
  client: Client,
  taskQueue: string,
  state: ReservationState & { coordinates: NonNullable<ReservationState['coordinates']> },
  tenantId: string,
): Promise<CandidateSurvey> {
  const { lat, lng } = state.coordinates;
  const tenant = tenantId === DEFAULT_TENANT_ID ? {} : { tenantId };
  const { candidates, unavailable } = await client.workflow.execute<SurveyWorkflow>(SURVEY_WORKFLOW_TYPE, {
    workflowId: surveyIdFor(state.viabilityId, tenantId),
    taskQueue,
    args: [{ lat, lng, radiusMeters: state.radiusMeters, ...tenant }],
    typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }],
    priority: { fairnessKey: tenantId },
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowExecutionTimeout: SURVEY_TIMEOUT,
    staticSummary: `Boxes around viability ${state.viabilityId}, for a move`,
  });
  return {
    viabilityId: state.viabilityId,
    radiusMeters: state.radiusMeters,
    candidates,
    unavailableBoxes: unavailable,
    surveyedAt: new Date().toISOString(),
  };
}

/** How long a survey answers again for its viability: fresh enough to choose from, a bound on OZmap calls. */
export const SURVEY_KEPT_MS = 30_000;
/** Viabilities whose last survey is kept; beyond this the oldest is dropped (memory stays bounded). */
export const SURVEYS_KEPT = 1000;

/**
 * The last survey of each viability (by its scoped id, contract/ids.ts), for SURVEY_KEPT_MS from when it was
 * asked; one under way is shared (single flight), one that failed is not kept. `forget` drops a viability's survey
 * once a move made it stale.
 */
export class RecentSurveys {
  readonly #entries = new Map<string, { at: number; survey: Promise<CandidateSurvey> }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(viabilityId: string, survey: () => Promise<CandidateSurvey>): Promise<CandidateSurvey> {
    const kept = this.#entries.get(viabilityId);
    if (kept && this.now() - kept.at < SURVEY_KEPT_MS) return kept.survey;
    this.#entries.delete(viabilityId); // re-inserted last: the Map's order is the age order
    const entry = { at: this.now(), survey: survey() };
    entry.survey.catch(() => {
      if (this.#entries.get(viabilityId) === entry) this.#entries.delete(viabilityId);
    });
    this.#entries.set(viabilityId, entry);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= SURVEYS_KEPT) break;
      this.#entries.delete(oldest);
    }
    return entry.survey;
  }

  forget(viabilityId: string): void {
    this.#entries.delete(viabilityId);
  }
}
