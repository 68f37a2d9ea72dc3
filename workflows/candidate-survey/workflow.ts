/**
 * CandidateSurveyWorkflow: one fresh look at the boxes around a held reservation, for a salesperson about to move
 * it (the map page's "Trocar caixa"). OZmap is reached only from activities on the worker, so the HTTP server asks
 * through this short workflow rather than holding OZmap credentials itself; it reads, never writes.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ReservationActivities } from '../../activities/index.ts';
import type { BoxSurvey, BoxSearch, Tenanted } from '../../activities/index.ts';

/** Someone is waiting on a page: a few quick attempts, then the failure is theirs to see and retry. */
const { surveyBoxes } = proxyActivities<ReservationActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

/** `area.tenantId`: whose OZmap (absent: `default`). */
export async function CandidateSurveyWorkflow(area: BoxSearch & Tenanted): Promise<BoxSurvey> {
  return surveyBoxes(area);
}
