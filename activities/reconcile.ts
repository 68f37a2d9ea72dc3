/**
 * The reconciler's activities (docs/architecture.md, "Reconciler"): one tenant's OZmap marked properties against the
 * reservation workflows Temporal knows for that tenant, one page per call, and the registry's enabled tenants for a
 * whole reconciliation. Built around injected OZmap and Temporal clients, like the reservation's activities; a
 * tenant's OZmap is reached through its bulkhead (activities/tenant-ozmaps.ts), one of its slots per page. Each page
 * is safe to run again: a deleted orphan is no longer listed, a second confirmSale is ignored by the workflow (the
 * first confirm or cancel wins).
 */
import { Context, log } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { WORKFLOW_TYPE } from '../contract/defaults.ts';
import { FAILURES } from '../contract/failures.ts';
import { DEFAULT_TENANT_ID, externalIdFor, reservationOf, workflowIdFor } from '../contract/ids.ts';
import { confirmSale, getState } from '../contract/messages.ts';
import {
  RECONCILER_CONFIRM_NOTE,
  type HeldPageResult,
  type MarkedOutcome,
  type MarkedPageResult,
  type TenantsPageResult,
} from '../contract/reconcile.ts';
import { CustomerCodeKey, ReservationStatusKey } from '../contract/search-attributes.ts';
import { classified } from './failures.ts';
import { clientOf, standingOf, type Standing } from './ownership.ts';
import type { OzmapClient } from './ozmap/client.ts';
import type { OzClient } from './ozmap/schemas.ts';
import { CursorNotHonouredError, markedPropertiesPage, type MarkedProperty } from './ozmap/marked.ts';
import type { TenantOzmaps } from './tenant-ozmaps.ts';

type ReconcileOzmap = Pick<OzmapClient, 'rawPage' | 'getProperty' | 'getClient' | 'deleteProperty' | 'deleteClient'>;

export interface ReconcileDeps {
  /** The `default` tenant's OZmap (the environment's), used when there is no `tenants`. */
  ozmap: ReconcileOzmap;
  /** Absent on workers built without one (tests of the reservation alone): the activities then fail, not retried. */
  temporal?: Client;
  /** Every tenant's OZmap, each behind its bulkhead (docs/tenants.md); absent, only the `default` tenant's `ozmap`. */
  tenants?: Pick<TenantOzmaps, 'run'>;
  /** The registry's enabled tenants other than `default`, ids after `afterId` ascending, at most `limit`. */
  enabledTenants?: (afterId: string | undefined, limit: number) => Promise<string[]>;
}

/** Whose OZmap and reservations a page is about: absent, the `default` tenant's (as before tenants existed). */
export interface TenantScoped {
  tenantId?: string;
}

export interface MarkedPageInput extends TenantScoped {
  afterPropertyId?: string;
  limit: number;
  dryRun: boolean;
}

export interface HeldPageInput extends TenantScoped {
  pageToken?: string;
  limit: number;
}

export interface TenantsPageInput {
  afterTenantId?: string;
  limit: number;
}

/**
 * What Temporal holds for a viability now: an open reservation workflow (and its status), or none; and the customer's
 * code its run (open or closed) was started with, unknown when Temporal has no run for it.
 */
type Holder = { open: boolean; status?: string; customerCode?: string };

/** One tenant's page: its id and its OZmap, as the tenant's bulkhead lent it. */
interface Scope {
  tenantId: string;
  ozmap: ReconcileOzmap;
}

/** A visibility string literal. */
const literal = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function createReconcileActivities({ ozmap, temporal, tenants, enabledTenants }: ReconcileDeps) {
  const client = (): Client => {
    if (temporal) return temporal;
    throw ApplicationFailure.nonRetryable(
      'this worker was built without a Temporal client for the reconciler (worker/worker.ts, clients.temporal)',
      FAILURES.ReconcilerNotWired,
    );
  };

  /** `act` with the tenant's OZmap, in one of that tenant's slots (held for the page: the reconciler takes one). */
  const onOzmap = async <R>(tenantId: string, act: (scope: Scope) => Promise<R>): Promise<R> => {
    if (tenants) return tenants.run(tenantId, (client) => act({ tenantId, ozmap: client }));
    if (tenantId === DEFAULT_TENANT_ID) return act({ tenantId, ozmap });
    throw ApplicationFailure.nonRetryable(
      `Tenant ${tenantId}: this worker reconciles the default tenant only (no tenant registry)`,
      FAILURES.UnknownTenant,
    );
  };

  /** Describe, not visibility: what holds the property right now, not what the index said a moment ago. */
  const holderOf = async (scope: Scope, viabilityId: string): Promise<Holder> => {
    try {
      const d = await client().workflow.getHandle(workflowIdFor(viabilityId, scope.tenantId)).describe();
      const customerCode = d.typedSearchAttributes.get(CustomerCodeKey);
      if (d.status.name !== 'RUNNING') return { open: false, customerCode };
      return { open: true, status: d.typedSearchAttributes.get(ReservationStatusKey), customerCode };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { open: false };
      throw err;
    }
  };

  /** Whether the row is that viability's reservation (activities/ownership.ts), as far as OZmap and Temporal tell. */
  const standingIn = (scope: Scope, owner: OzClient | null, viabilityId: string, holder: Holder): Standing =>
    standingOf(owner, { externalId: externalIdFor(viabilityId, scope.tenantId), customerCode: holder.customerCode });

  /**
   * Re-reads an orphan right before the delete: still there, still ours, still not implanted, still held by no open
   * workflow. Returns the client to delete with it, or undefined when any of that changed since the page was read.
   */
  const stillOrphan = async (
    scope: Scope,
    propertyId: string,
    viabilityId: string,
  ): Promise<{ id: string } | undefined> => {
    const property = await scope.ozmap.getProperty(propertyId);
    if (!property) return undefined;
    const [holder, owner] = await Promise.all([holderOf(scope, viabilityId), clientOf(scope.ozmap, property)]);
    if (holder.open) return undefined;
    const standing = standingIn(scope, owner, viabilityId, holder);
    return standing.ours && !standing.client.implanted ? standing.client : undefined;
  };

  /** The reservation a RESERVED workflow holds, by its own state; undefined when it does not answer or holds none. */
  const heldBy = async (
    scope: Scope,
    viabilityId: string,
  ): Promise<{ propertyId: string; clientId: string } | undefined> => {
    try {
      const state = await client().workflow.getHandle(workflowIdFor(viabilityId, scope.tenantId)).query(getState);
      return state.status === 'RESERVED' ? state.reservation : undefined;
    } catch (err) {
      log.warn('Reconciler: could not query a held reservation', {
        tenantId: scope.tenantId,
        viabilityId,
        error: String(err),
      });
      return undefined;
    }
  };

  const suspect = (scope: Scope, row: MarkedProperty, why: string): MarkedOutcome => {
    log.warn("Reconciler: a property carries a reservation's marker but is not that reservation's; left alone", {
      tenantId: scope.tenantId,
      viabilityId: row.viabilityId,
      propertyId: row.propertyId,
      why,
    });
    return 'suspect';
  };

  return {
    /**
     * One page of the tenant's OZmap marked properties (ids after `afterPropertyId`): each row is classified, orphans
     * released and implanted-while-held workflows sent confirmSale, unless `dryRun`. Rows without the tenant's marker
     * (none, or another tenant's: two tenants may share one OZmap) are only counted; rows with it that are not that
     * reservation's (Invariant 7) are suspect, left alone and reported.
     */
    reconcileMarkedPage: (input: MarkedPageInput): Promise<MarkedPageResult> =>
      onOzmap(input.tenantId ?? DEFAULT_TENANT_ID, async (scope) => {
        const page = await classified('OZmap', async () => {
          try {
            return await markedPropertiesPage(scope.ozmap, {
              afterId: input.afterPropertyId,
              limit: input.limit,
              tenantId: scope.tenantId,
            });
          } catch (err) {
            if (err instanceof CursorNotHonouredError)
              throw ApplicationFailure.nonRetryable(err.message, FAILURES.OZmapCursorNotHonoured);
            throw err;
          }
        });
        const result: MarkedPageResult = {
          outcomes: [],
          released: 0,
          confirmed: 0,
          ...(page.next && { next: page.next }),
        };
        for (const row of page.rows) {
          Context.current().heartbeat(row.propertyId);
          const outcome = await classified('OZmap', () => reconcileRow(scope, row, input.dryRun, result));
          result.outcomes.push({
            outcome,
            propertyId: row.propertyId,
            ...(row.viabilityId && { viabilityId: row.viabilityId }),
          });
        }
        return result;
      }),

    /**
     * One page of the tenant's open RESERVED reservations on this task queue: each one's OZmap property and client
     * read by the ids its state holds; those gone are reported (the workflow finds out itself when it settles).
     */
    checkHeldPage: async (input: HeldPageInput): Promise<HeldPageResult> => {
      const temporal = client();
      const tenantId = input.tenantId ?? DEFAULT_TENANT_ID;
      const { taskQueue } = Context.current().info;
      const query = [
        `WorkflowType = ${literal(WORKFLOW_TYPE)}`,
        `ExecutionStatus = "Running"`,
        `ReservationStatus = "RESERVED"`,
        `TaskQueue = ${literal(taskQueue)}`,
        `TenantId = ${literal(tenantId)}`,
      ].join(' AND ');
      const response = await temporal.workflowService.listWorkflowExecutions({
        namespace: temporal.options.namespace,
        query,
        pageSize: input.limit,
        nextPageToken: input.pageToken ? Buffer.from(input.pageToken, 'base64') : undefined,
      });
      const gone: string[] = [];
      let checked = 0;
      for (const execution of response.executions ?? []) {
        const workflowId = execution.execution?.workflowId;
        const reservation = workflowId ? reservationOf(workflowId) : undefined;
        // The id names the tenant too: a workflow listed under this tenant with another's id is not this pass's.
        if (!workflowId || reservation?.tenantId !== tenantId) continue;
        const { viabilityId } = reservation;
        Context.current().heartbeat(workflowId);
        const handle = temporal.workflow.getHandle(workflowId);
        const heldNow = async () => {
          try {
            const state = await handle.query(getState);
            return state.status === 'RESERVED' ? state.reservation : undefined;
          } catch (err) {
            // Ended meanwhile, or not answering: not this pass's to judge.
            log.warn('Reconciler: could not query a held reservation', { workflowId, error: String(err) });
            return undefined;
          }
        };
        const held = await heldNow();
        if (!held) continue;
        checked++;
        const present = await onOzmap(tenantId, ({ ozmap: tenantOzmap }) =>
          classified('OZmap', async () => {
            const property = await tenantOzmap.getProperty(held.propertyId);
            return property !== null && (await tenantOzmap.getClient(held.clientId)) !== null;
          }),
        );
        // A hold that ended meanwhile released its own port (the status leaves RESERVED before the delete): only a
        // reservation still RESERVED on the same property after the read is one whose client is gone.
        if (!present && (await heldNow())?.propertyId === held.propertyId) gone.push(viabilityId);
      }
      const next = response.nextPageToken?.length ? Buffer.from(response.nextPageToken).toString('base64') : undefined;
      return { checked, gone, ...(next && { nextPageToken: next }) };
    },

    /**
     * One page of the tenants a whole reconciliation covers: the registry's enabled tenants by id, up to `limit`,
     * after `default` on the first page (the environment's, always enabled). A worker without the registry has
     * `default` alone.
     */
    reconcileTenantsPage: async (input: TenantsPageInput): Promise<TenantsPageResult> => {
      const stored = enabledTenants ? await enabledTenants(input.afterTenantId, input.limit) : [];
      const tenantIds = input.afterTenantId === undefined ? [DEFAULT_TENANT_ID, ...stored] : stored;
      const last = stored.at(-1);
      return { tenantIds, ...(stored.length >= input.limit && last !== undefined && { next: last }) };
    },
  };

  async function reconcileRow(
    scope: Scope,
    row: MarkedProperty,
    dryRun: boolean,
    result: MarkedPageResult,
  ): Promise<MarkedOutcome> {
    const { viabilityId } = row;
    if (viabilityId === undefined) return 'unmarked';
    const [holder, owner] = await Promise.all([holderOf(scope, viabilityId), clientOf(scope.ozmap, row)]);
    const standing = standingIn(scope, owner, viabilityId, holder);
    if (!standing.ours) return suspect(scope, row, standing.why);
    if (standing.client.implanted) {
      if (!holder.open) return 'installed';
      // Only a reservation waiting in RESERVED is confirmed; one already settling finds the client implanted itself.
      if (holder.status !== 'RESERVED') return 'held';
      // Confirmed only when the implanted row is the very property and client the reservation holds: anyone may
      // plant a property with its marker and an implanted client.
      const held = await heldBy(scope, viabilityId);
      if (!held) return 'held';
      if (held.propertyId !== row.propertyId || held.clientId !== standing.client.id)
        return suspect(scope, row, 'it is not the property and client the reservation holds');
      if (!dryRun) {
        try {
          await client()
            .workflow.getHandle(workflowIdFor(viabilityId, scope.tenantId))
            .signal(confirmSale, { note: RECONCILER_CONFIRM_NOTE });
          result.confirmed++;
          log.info('Reconciler: confirmed a reservation implanted in OZmap', { tenantId: scope.tenantId, viabilityId });
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          return 'changed';
        }
      }
      return 'implantedHeld';
    }
    if (holder.open) return 'held';
    const orphanClient = await stillOrphan(scope, row.propertyId, viabilityId);
    if (!orphanClient) return 'changed';
    if (!dryRun) {
      await scope.ozmap.deleteProperty(row.propertyId);
      // OZmap takes the client with the property (OZmap fact O18); a tenant that does not is cleaned up here.
      await scope.ozmap.deleteClient(orphanClient.id);
      result.released++;
      log.info('Reconciler: released an orphan', {
        tenantId: scope.tenantId,
        viabilityId,
        propertyId: row.propertyId,
      });
    }
    return 'orphan';
  }
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
