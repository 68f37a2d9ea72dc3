/**
 * Fresh candidates for moving a held reservation: the boxes within its radius as OZmap shows them now, found by
 * the worker's surveyBoxes activity through CandidateSurveyWorkflow (the caller never talks to OZmap itself).
 */
import type { Client } from '@temporalio/client';
import { SURVEY_WORKFLOW_TYPE } from '../contract/defaults.ts';
import { surveyIdFor } from '../contract/ids.ts';
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
}) => Promise<{ candidates: Candidate[]; unavailable: UnavailableBox[] }>;

/** Bounds a survey nobody picks up (no worker): the caller's own deadline is usually shorter. */
const SURVEY_TIMEOUT = '1 minute';

export async function surveyAround(
  client: Client,
  taskQueue: string,
  state: ReservationState & { coordinates: NonNullable<ReservationState['coordinates']> },
): Promise<CandidateSurvey> {
  const { lat, lng } = state.coordinates;
  const { candidates, unavailable } = await client.workflow.execute<SurveyWorkflow>(SURVEY_WORKFLOW_TYPE, {
    workflowId: surveyIdFor(state.viabilityId),
    taskQueue,
    args: [{ lat, lng, radiusMeters: state.radiusMeters }],
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
