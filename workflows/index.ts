/** The workflows this worker runs (the bundle entry point). */
export { ReservationWorkflow } from './reservation-workflow.ts';
export { WebhookDelivery } from './webhook-delivery.ts';
