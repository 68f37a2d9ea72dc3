/** The benchmark worker's bundle: the real workflow and the baseline, side by side on one task queue. */
// eslint-disable-next-line no-restricted-imports -- a bundle entry point, like worker/'s: it runs the workflows.
export { ReservationWorkflow } from '../../workflows/index.ts';
export { BaselineWorkflow } from './baseline.ts';
