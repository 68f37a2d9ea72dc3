/**
 * The benchmark's baseline: the reservation's skeleton with no work in it. The same update-with-start, the same two
 * activities a reservation with coordinates runs (searchBoxes, reservePort) as no-ops with the same options, then a
 * hold until a signal. The real workflow's cost over this is OZmap, search attributes and its own logic.
 */
import { condition, defineSignal, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { NoopActivities } from '../noop-activities.ts';

export const baselineReady = defineUpdate<{ status: string }>('waitForReservation');
export const baselineRelease = defineSignal('cancelReservation');

const { noopSearch, noopReserve } = proxyActivities<NoopActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function BaselineWorkflow(): Promise<{ status: string }> {
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
  await condition(() => released);
  return { status: 'CANCELLED' };
}
