/**
 * The reservation's webhook events (docs/architecture.md, "Webhooks"). Each event's body is built here, from the
 * state at the moment it happens, and handed to a WebhookDelivery child workflow that is abandoned once started: the
 * reservation waits for the start to be recorded, never for Ispbox. The body carries no secret; the activity signs.
 *
 * Whether to emit is the worker's configuration, which workflow code cannot see: it comes with the settings the run
 * reads first (a local activity), and history keeps the answer (no timer, no child when WEBHOOK_URL is unset).
 */
import {
  CancellationScope,
  ParentClosePolicy,
  condition,
  log,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { DAY_MS } from '../../contract/defaults.ts';
import type { ReservationSettings } from '../../contract/limits.ts';
import type { BriefState, ReservationState, WebhookEvent } from '../../contract/schemas.ts';
import { DEFAULT_TENANT_ID } from '../../contract/ids.ts';
import { sketchLinks } from '../../contract/links.ts';
import { TenantIdKey, ViabilityIdKey } from '../../contract/search-attributes.ts';
import type { ReservationStatus } from '../../contract/statuses.ts';
import type { ReservationEventType as WebhookEventType, WebhookSettings } from '../../contract/webhooks.ts';
import { withoutCandidates } from './views.ts';
import { WebhookDelivery } from '../webhook-delivery/workflow.ts';

/** The statuses a salesperson hears about, and the event each one is. */
const STATUS_EVENTS: Partial<Record<ReservationStatus, WebhookEventType>> = {
  AWAITING_SELECTION: 'reservation.awaiting_selection',
  RESERVED: 'reservation.reserved',
  INSTALLED: 'reservation.installed',
  EXPIRED: 'reservation.expired',
  CANCELLED: 'reservation.cancelled',
  NO_COVERAGE: 'reservation.no_coverage',
  ADDRESS_NOT_FOUND: 'reservation.address_not_found',
  NO_SELECTION: 'reservation.no_selection',
};

/** The events whose state keeps the candidate lists: someone is to choose, or hears there was nothing to choose. */
const EVENTS_WITH_CANDIDATES: ReadonlySet<WebhookEventType> = new Set([
  'reservation.awaiting_selection',
  'reservation.no_coverage',
]);

/** The events that tell of a port newly held where it is: they link the installer's sketch. */
const EVENTS_WITH_SKETCH: ReadonlySet<WebhookEventType> = new Set(['reservation.reserved', 'reservation.box_changed']);

/**
 * The id of an event's delivery workflow. `/` is in neither a viability's nor a tenant's alphabet, so no reservation
 * (whatever its viability id) has an id that ends like a delivery's.
 */
export const deliveryIdFor = (reservationWorkflowId: string, eventId: string): string =>
  `${reservationWorkflowId}/event/${eventId}`;

export class Events {
  private readonly queue: WebhookEvent[] = [];
  private starting = false;
  private remindersArmed = false;
  /** Reminders sent, as days before the end: one is never sent twice, also across continue-as-new. */
  private readonly sent: Set<number>;

  constructor(
    private readonly state: ReservationState,
    private readonly settings: () => Promise<ReservationSettings>,
    remindersSent: readonly number[] = [],
    /** Whose reservation: its webhook is the tenant's, looked up at delivery (never in history). */
    private readonly tenant: { tenantId?: string } = {},
  ) {
    this.sent = new Set(remindersSent);
  }

  remindersSent(): number[] {
    return [...this.sent];
  }

  /** A run continued as new during the hold: the reminders not sent yet are armed again. */
  resumeReminders(): void {
    if (this.state.status === 'RESERVED') this.armReminders();
  }

  /** Called by Reservation.setStatus when the status changed. */
  statusChanged(status: ReservationStatus): void {
    const type = STATUS_EVENTS[status];
    if (type) this.emit(type);
    if (status === 'RESERVED') this.armReminders();
  }

  boxChanged(): void {
    this.emit('reservation.box_changed');
  }

  extended(): void {
    this.emit('reservation.extended');
  }

  /** The run is about to fail: Ispbox hears it, with the status it stopped in. */
  failed(): void {
    this.emit('reservation.failed');
  }

  /** Resolves once every event emitted so far has its delivery started: a run ends only after that. */
  async started(): Promise<void> {
    await condition(() => this.queue.length === 0 && !this.starting);
  }

  private emit(type: WebhookEventType, extra: { daysLeft?: number } = {}): void {
    this.queue.push({
      id: uuid4(), // deterministic: the same id on replay and on every retry of the delivery
      type,
      occurredAt: new Date().toISOString(),
      viabilityId: this.state.viabilityId,
      status: this.state.status,
      // As it is now, not as it will be; only the events that need the candidate lists carry them.
      state: JSON.parse(
        JSON.stringify(EVENTS_WITH_CANDIDATES.has(type) ? this.state : withoutCandidates(this.state)),
      ) as BriefState,
      ...extra,
      ...(EVENTS_WITH_SKETCH.has(type) ? { links: sketchLinks(this.state.viabilityId) } : {}),
    });
    if (!this.starting) {
      this.starting = true;
      // Not cancellable: an event emitted as the run is cancelled (CANCELLED, say) must still go out.
      void CancellationScope.nonCancellable(() => this.startDeliveries());
    }
  }

  private async readSettings(): Promise<WebhookSettings> {
    return (await this.settings()).webhooks;
  }

  private async startDeliveries(): Promise<void> {
    try {
      const settings = await this.readSettings();
      for (let event = this.queue.shift(); event; event = this.queue.shift()) {
        if (!settings.enabled) continue;
        try {
          await startChild(WebhookDelivery, {
            workflowId: deliveryIdFor(workflowInfo().workflowId, event.id),
            args: this.tenant.tenantId === undefined ? [event] : [event, this.tenant],
            // Outlives the reservation, which never waits for it past its start.
            parentClosePolicy: ParentClosePolicy.ABANDON,
            typedSearchAttributes: [
              { key: ViabilityIdKey, value: event.viabilityId },
              { key: TenantIdKey, value: this.tenant.tenantId ?? DEFAULT_TENANT_ID },
            ],
          });
        } catch (err) {
          log.warn('A webhook delivery could not be started', { eventId: event.id, error: String(err) });
        }
      }
    } finally {
      this.starting = false;
    }
  }

  private armReminders(): void {
    if (this.remindersArmed) return;
    this.remindersArmed = true;
    void CancellationScope.nonCancellable(() => this.remind()).catch((err: unknown) =>
      log.warn('Reminders stopped', { error: String(err) }),
    );
  }

  /**
   * One `reservation.expiring` per configured offset, at that many days before the end, while RESERVED. An end that
   * moves (extendHold) re-arms the reminders not sent yet at their new moments; one already sent is not sent again,
   * and one whose moment has passed is skipped.
   */
  private async remind(): Promise<void> {
    const settings = await this.readSettings();
    if (!settings.enabled) return;
    const { sent } = this;
    const holding = () => this.state.status === 'RESERVED' && this.state.reservation !== undefined;
    while (holding()) {
      const expiresAt = this.state.reservation!.expiresAt;
      const end = Date.parse(expiresAt);
      const changed = () => !holding() || this.state.reservation?.expiresAt !== expiresAt;
      // Largest offset first, so the earliest moment still ahead.
      const days = settings.reminderDays.find((d) => !sent.has(d) && end - d * DAY_MS > Date.now());
      if (days === undefined) {
        await condition(changed);
        continue;
      }
      if (await condition(changed, end - days * DAY_MS - Date.now())) continue;
      sent.add(days);
      this.emit('reservation.expiring', { daysLeft: days });
    }
  }
}
