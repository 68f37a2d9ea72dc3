/** Names and fallbacks of the contract (docs/architecture.md, "Contract"): one home for each. */

export const WORKFLOW_TYPE = 'ReservationWorkflow';
/** A short read-only look at the boxes around a held reservation, for moving it (workflows/candidate-survey/). */
export const SURVEY_WORKFLOW_TYPE = 'CandidateSurveyWorkflow';
export const DEFAULT_TASK_QUEUE = 'ozmap-reservations';

/** Fallbacks when neither the input nor the caller's configuration says otherwise. */
export const DEFAULTS = {
  radiusMeters: 250,
  holdDays: 30,
  selectionTimeoutHours: 24,
} as const;

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;
