/**
 * The surveyBoxes activity: the boxes around a point that can take the customer, and those that cannot now. The rule
 * lives in area-survey.ts (evaluatePoint), shared with batch feasibility and the waitlist: a survey is a one-point
 * area.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FAILURES } from '../contract/failures.ts';
import { AreaTooDenseError, areaOf, evaluatePoint, fetchArea, type AreaOzmap, type BoxSurvey } from './area-survey.ts';
import { classified } from './failures.ts';

export { MAX_DROP_REACH_METERS, type BoxSurvey } from './area-survey.ts';

export interface BoxSearch {
  lat: number;
  lng: number;
  radiusMeters: number;
  /**
   * Pole mode (docs/poles.md): a box counts only if a drop along the poles reaches it, no longer than its project's
   * maximum drop, or `fallbackMaxDropMeters` for a project that sets none. Absent: radius mode.
   */
  poles?: { fallbackMaxDropMeters: number };
  /**
   * Only what picking a port needs is answered, so that the answer recorded in history stays small (auto mode): the
   * nearest this many candidates (the first is taken, the others are the alternatives its state shows), and the
   * unavailable boxes, as many, only when there is no candidate (they then say why). Absent: all of both.
   */
  nearest?: number;
}

export type SurveyOzmap = AreaOzmap;

/**
 * Boxes in the radius, not "Em projeto", with a service splitter that has a free port, nearest first; and the boxes
 * in the radius that cannot take the customer now (greyed on the map). Two OZmap calls: the boxes `near` the point
 * ("Em projeto" ones too, to show them greyed), then the drop splitters of all of them at once. Pole mode adds one:
 * the poles within a drop's reach, read beside the splitters (projects and pole types are cached by the client).
 */
export function surveyBoxes(ozmap: SurveyOzmap, input: BoxSearch): Promise<BoxSurvey> {
  return classified('OZmap', async () => {
    const point = { lat: input.lat, lng: input.lng, radiusMeters: input.radiusMeters };
    const fetched = await fetchArea(ozmap, areaOf([point]), input.poles);
    if (!fetched) throw tooDense(new AreaTooDenseError(point));
    const survey = evaluatePoint(fetched, point);
    if (input.nearest === undefined) return survey;
    return {
      ...survey,
      candidates: survey.candidates.slice(0, input.nearest),
      unavailable: survey.candidates.length > 0 ? [] : survey.unavailable.slice(0, input.nearest),
    };
  });
}

/** A place no single answer can hold: retrying asks the same, so it is not retried. */
export const tooDense = (err: AreaTooDenseError) => ApplicationFailure.nonRetryable(err.message, FAILURES.AreaTooDense);
