/** The benchmark worker's bundle: the real workflow and the baseline, side by side on one task queue. */
export { ReservationWorkflow } from '../../workflows/index.ts';
export { BaselineWorkflow } from './baseline.ts';
