/** The workflows this worker runs (the bundle entry point): one folder per workflow type. */
export { ReservationWorkflow } from './reservation/workflow.ts';
export { WebhookDelivery } from './webhook-delivery/workflow.ts';
export { ReconcileWorkflow } from './reconcile/workflow.ts';
export { CandidateSurveyWorkflow } from './candidate-survey/workflow.ts';
export { DoctorWorkflow } from './doctor/workflow.ts';
export { ReconcileTenantsWorkflow } from './reconcile-tenants/workflow.ts';
export { BatchFeasibilityWorkflow } from './batch-feasibility/workflow.ts';
export { BatchRetentionWorkflow } from './batch-retention/workflow.ts';
