/**
 * What a chaos run reads back: whether a workflow exists, whether any still runs, each one's outcome, and the OZmap
 * simulator's admin routes (its state and its counts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { getState } from '../../contract/messages.ts';
import { workflowIdFor } from '../../contract/ids.ts';
import type { ReservationState } from '../../contract/schemas.ts';
import { SIM_API_KEY, type World } from '../support/world.ts';
import type { WorkflowOutcome } from './checker.ts';

export async function workflowExists(client: Client, viabilityId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowIdFor(viabilityId)).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

export async function waitForNoneRunning(
  client: Client,
  taskQueue: string,
  deadline: number,
  persist: <T>(call: () => Promise<T>) => Promise<T>,
): Promise<void> {
  while (Date.now() < deadline) {
    const { count } = await persist(() =>
      client.workflow.count(`TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`),
    );
    if (count === 0) return;
    await sleep(2000);
  }
}

export async function outcomeOf(client: Client, viabilityId: string): Promise<WorkflowOutcome> {
  const handle = client.workflow.getHandle(workflowIdFor(viabilityId));
  let execution: string;
  try {
    execution = (await handle.describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      return { viabilityId, execution: 'NOT_FOUND', error: 'no workflow was started' };
    throw error;
  }
  if (execution === 'COMPLETED') return { viabilityId, execution, state: (await handle.result()) as ReservationState };
  if (execution === 'RUNNING') return { viabilityId, execution, state: await handle.query(getState) };
  const error = await handle.result().then(
    () => 'no error',
    (e: unknown) => (e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)),
  );
  return { viabilityId, execution, error };
}

export async function simAdmin<T = unknown>(world: World, method: string, route: string): Promise<T> {
  const res = await fetch(new URL(route, world.simUrl), { method, headers: { authorization: SIM_API_KEY } });
  if (!res.ok) throw new Error(`${method} ${route} answered ${res.status}`);
  return (await res.json()) as T;
}

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}
