/**
 * The load the bench generates: reservations through the client library, and baseline workflows (the same
 * update-with-start, no-op activities, no search attributes of their own) to compare them with; numbered, so that a
 * later step can name the ones it measured.
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { ReservationsClient } from '../client/reservations.ts';
import type { Coordinates, ReservationState } from '../contract/schemas.ts';
import { CustomerCodeKey, ReservationStatusKey, ViabilityIdKey } from '../contract/search-attributes.ts';
import type { Simulator } from '../simulator/server.ts';
import { LAYER_SHIFT_DEGREES } from './network.ts';
import { BaselineWorkflow, baselineReady } from './workflows/baseline.ts';

export const TASK_QUEUE = 'bench';
export const API_KEY = 'bench-ozmap-key';
/** The defaults every bench's client library reserves with: 250 m, 30-day holds (the seeded town's boxes are near). */
export const RESERVATION_DEFAULTS = { radiusMeters: 250, holdDays: 30, selectionTimeoutHours: 24 } as const;

/** Reservations B-0, B-1, … at the given points, and baselines BL-0, BL-1, …, numbered in the order they start. */
export class Load {
  /** The number the next reservation gets: how many have been started. */
  next = 0;
  /** How many baselines have been started. */
  baselines = 0;

  constructor(
    private readonly client: Client,
    private readonly reservations: ReservationsClient,
    private readonly points: readonly Coordinates[],
  ) {}

  reserve(holdDays: number): Promise<ReservationState> {
    const i = this.next++;
    const id = `B-${i}`;
    return this.reservations.reserve({
      viabilityId: id,
      customer: { code: `C-${i}`, name: `Cliente ${i}` },
      coordinates: this.points[i % this.points.length]!,
      holdDays,
    });
  }

  /** A reservation held 30 days; its viability id. */
  async reserveHeld(): Promise<string> {
    const state = await this.reserve(30);
    if (state.status !== 'RESERVED') throw new Error(`${state.viabilityId} answered ${state.status}`);
    return state.viabilityId;
  }

  /** A baseline that completes at `until` (epoch ms), or when signalled. */
  baseline(until?: number): Promise<string> {
    return startBaseline(this.client, TASK_QUEUE, `BL-${this.baselines++}`, until);
  }
}

export async function startBaseline(client: Client, taskQueue: string, id: string, until?: number): Promise<string> {
  const startWorkflowOperation = new WithStartWorkflowOperation(BaselineWorkflow, {
    workflowId: `baseline-${id}`,
    taskQueue,
    args: until === undefined ? [] : [until],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    typedSearchAttributes: [
      { key: ViabilityIdKey, value: id },
      { key: CustomerCodeKey, value: id },
      { key: ReservationStatusKey, value: 'SEARCHING' },
    ],
    staticSummary: `Baseline ${id}`,
  });
  const state = await client.workflow.executeUpdateWithStart(baselineReady, { startWorkflowOperation });
  if (state.status !== 'RESERVED') throw new Error(`baseline ${id} answered ${state.status}`);
  return `baseline-${id}`;
}

/** A customer point at every box with a free port, in the seeded town and in each widened layer's own town. */
export function spreadPoints(sim: Simulator, layers = 1): Coordinates[] {
  return Array.from({ length: Math.max(1, layers) }, (_, k) =>
    sim.store
      .boxesNear({ lat: -27.5935 - LAYER_SHIFT_DEGREES * k, lng: -48.5515 }, 5000)
      .filter((b) => !b.box.draft && b.splitters.some((s) => s.freePorts.length > 0))
      .map((b) => ({ lat: b.box.lat, lng: b.box.lng })),
  ).flat();
}
