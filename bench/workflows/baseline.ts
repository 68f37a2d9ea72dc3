/**
 * The benchmark's baselines: the reservation's skeleton with no work in it. The same update-with-start, the same two
 * activities a reservation with coordinates runs (surveyBoxes, reservePort) as no-ops with the same options, then a
 * hold: until a signal (BaselineWorkflow), or until a given moment and then complete (BaselineTimerWorkflow, the
 * platform's own rate for workflows that wake on a timer and end, to compare mass expiry with). The real workflow's
 * cost over these is OZmap, search attributes and its own logic.
 */
import { condition, defineSignal, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { NoopActivities } from '../noop-activities.ts';

export const baselineReady = defineUpdate<{ status: string }>('waitForReservation');
export const baselineRelease = defineSignal('cancelReservation');

const { noopSearch, noopReserve } = proxyActivities<NoopActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** `until`: epoch milliseconds; without it, held until the release signal. */
export async function BaselineWorkflow(until?: number): Promise<{ status: string }> {
  let status = 'SEARCHING';
  let released = false;
  setHandler(baselineReady, async () => {
    await condition(() => status !== 'SEARCHING');
    return { status };
  });
  setHandler(baselineRelease, () => {
    released = true;
  });
  await noopSearch();
  await noopReserve();
  status = 'RESERVED';
  if (until === undefined) await condition(() => released);
  else await condition(() => released, Math.max(1, until - Date.now()));
  return { status: released ? 'CANCELLED' : 'EXPIRED' };
}
