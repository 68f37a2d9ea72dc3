/**
 * The ensureProspect activity (docs/demand.md, "Prospects"): a NO_COVERAGE becomes one OZmap prospect, marked with the
 * viability's marker, and one waitlist entry. Idempotent: the store is read first, then OZmap by the marker; a create
 * happens only when neither has it, so a retry (a worker killed mid-create, say) finds what the first attempt made.
 */
import { DAY_MS } from '../contract/defaults.ts';
import type { ProspectRef, WaitlistStore } from '../contract/demand.ts';
import { batchRowExternalIdFor, DEFAULT_TENANT_ID, externalIdFor } from '../contract/ids.ts';
import type { BatchProspectInput } from './batch.ts';
import { classified } from './failures.ts';
import type { OzmapClient } from './ozmap/client.ts';
import { onTenantOzmap, type TenantOzmaps } from './tenant-ozmaps.ts';
import { checkWaitlistPage, type WaitlistOzmap, type WaitlistPageInput } from './waitlist.ts';

export type ProspectOzmap = Pick<
  OzmapClient,
  'findProspectsByExternalId' | 'createProspect' | 'updateProspect' | 'deleteProspect'
>;

export interface EnsureProspectInput {
  tenantId?: string;
  viabilityId: string;
  customer: { code: string; name: string };
  /** The address as the reservation formatted it ('' when only coordinates came). */
  address: string;
  coordinates: { lat: number; lng: number };
  radiusMeters: number;
  /** Why there was no coverage: the prospect's observation says it. */
  reason: string;
  /** The tenant's prospect tags (OZmap tag ids). */
  tags: string[];
  /** Days the prospect stays on the waitlist. */
  forDays: number;
  /** A batch row's prospect (docs/demand.md, "For the expansion team"): its own marker; absent, the viability's. */
  batchRow?: { batchId: string; idx: number };
}

/** The observation a new prospect carries: why, for whom, and by what (data, never markup). */
export const prospectObservation = (input: Pick<EnsureProspectInput, 'viabilityId' | 'reason'>): string =>
  `Sem cobertura na viabilidade Ispbox 2 ${input.viabilityId}: ${input.reason}`;

export async function ensureProspect(
  ozmap: ProspectOzmap,
  store: Pick<WaitlistStore, 'get' | 'record'>,
  input: EnsureProspectInput,
): Promise<ProspectRef> {
  const tenantId = input.tenantId ?? DEFAULT_TENANT_ID;
  const externalId = input.batchRow
    ? batchRowExternalIdFor(tenantId, input.batchRow.batchId, input.batchRow.idx)
    : externalIdFor(input.viabilityId, input.tenantId);
  const stored = await store.get(tenantId, externalId);
  if (stored) return { id: stored.prospectId, createdAt: stored.createdAt };
  const prospect = await classified('OZmap', async () => {
    const found = await ozmap.findProspectsByExternalId(externalId);
    // external_id is not unique in OZmap: a create that landed late made a second one; the oldest is the prospect.
    for (const extra of found.slice(1)) await ozmap.deleteProspect(extra.id);
    return (
      found[0] ??
      (await ozmap.createProspect({
        name: input.customer.name,
        code: input.customer.code,
        ...(input.address ? { address: input.address } : {}),
        coords: [input.coordinates.lng, input.coordinates.lat],
        viable: false,
        observation: prospectObservation(input),
        tags: input.tags,
        external_id: externalId,
      }))
    );
  });
  const createdAt = prospect.createdAt ?? new Date().toISOString();
  const entry = await store.record({
    tenantId,
    externalId,
    prospectId: prospect.id,
    source: input.batchRow ? 'batch' : 'reservation',
    viabilityId: input.viabilityId,
    customer: input.customer,
    lat: input.coordinates.lat,
    lng: input.coordinates.lng,
    radiusMeters: input.radiusMeters,
    createdAt,
    openUntil: new Date(Date.parse(createdAt) + input.forDays * DAY_MS).toISOString(),
  });
  return { id: entry.prospectId, createdAt: entry.createdAt };
}

/**
 * What a batch row without coverage makes its prospect from (`--prospects`): the row's id stands for the viability,
 * and for a name or code the row left out; the tenant's tags and window, or none and `forDays` when its prospects
 * are off (the waitlist then does not re-check them: docs/demand.md).
 */
export function batchRowProspect(
  row: BatchProspectInput,
  prospects: { tags: string[]; forDays: number },
): EnsureProspectInput {
  return {
    tenantId: row.tenantId,
    viabilityId: row.row.id,
    customer: { name: row.row.name || row.row.id, code: row.row.code || row.row.id },
    address: row.row.address ?? '',
    coordinates: row.coordinates,
    radiusMeters: row.radiusMeters,
    reason: row.reason,
    tags: prospects.tags,
    forDays: prospects.forDays,
    batchRow: { batchId: row.batchId, idx: row.idx },
  };
}

export interface ProspectActivityDeps {
  /** The `default` tenant's OZmap. */
  ozmap: ProspectOzmap & WaitlistOzmap;
  /** Every tenant's OZmap behind its bulkhead (worker/tenants.ts); absent, `default` alone. */
  tenants?: Pick<TenantOzmaps, 'run'>;
  store: WaitlistStore;
}

/** The demand activities by the names the workflows call them, bound to their OZmap and the waitlist's store. */
export function createProspectActivities({ ozmap, tenants, store }: ProspectActivityDeps) {
  const withOzmap = <R>(
    tenantId: string | undefined,
    act: (client: ProspectOzmap & WaitlistOzmap) => Promise<R>,
  ): Promise<R> => onTenantOzmap({ ozmap, tenants }, tenantId, act);
  return {
    ensureProspect: (input: EnsureProspectInput) =>
      withOzmap(input.tenantId, (client) => ensureProspect(client, store, input)),
    /** One page of a waitlist round (activities/waitlist.ts). */
    checkWaitlistPage: (input: WaitlistPageInput) =>
      withOzmap(input.tenantId, (client) => checkWaitlistPage(client, store, input)),
    /** Open → viable once its `prospect.viable` delivery has started; false when it was not open any more. */
    markProspectViable: (input: { tenantId: string; externalId: string; at: string }) =>
      store.markViable(input.tenantId, input.externalId, input.at),
  };
}

export type ProspectActivities = ReturnType<typeof createProspectActivities>;
