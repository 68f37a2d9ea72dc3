/**
 * Workflow interceptor bundled into the workflow code: reports a reservation's start and end to the worker through
 * a sink, so the workflow itself stays free of I/O (docs/architecture.md). Sinks are not called on replay, so a
 * workflow replayed after eviction is not counted twice. Imports only @temporalio/workflow.
 */
import {
  ContinueAsNew,
  isCancellation,
  proxySinks,
  workflowInfo,
  type Sinks,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';

export interface ReservationMetricsSinks extends Sinks {
  reservationMetrics: {
    started(): void;
    finished(status: string): void;
  };
}

const { reservationMetrics } = proxySinks<ReservationMetricsSinks>();

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        const info = workflowInfo();
        if (info.workflowType !== 'ReservationWorkflow') return next(input);
        if (!info.continuedFromExecutionRunId) reservationMetrics.started();
        try {
          const result = await next(input);
          const status = (result as { status?: unknown } | undefined)?.status;
          reservationMetrics.finished(typeof status === 'string' ? status : 'UNKNOWN');
          return result;
        } catch (error) {
          if (!(error instanceof ContinueAsNew))
            reservationMetrics.finished(isCancellation(error) ? 'CANCELLED_RUN' : 'FAILED');
          throw error;
        }
      },
    },
  ],
});
