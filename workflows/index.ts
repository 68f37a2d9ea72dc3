/** The workflows this worker runs (the bundle entry point). */
export { ReservationWorkflow } from './reservation-workflow.ts';
export { WebhookDelivery } from './webhook-delivery.ts';
export { ReconcileWorkflow } from './reconcile.ts';
export { CandidateSurveyWorkflow } from './candidate-survey.ts';
export { DoctorWorkflow } from './doctor.ts';
