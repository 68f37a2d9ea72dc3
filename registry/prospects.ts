/**
 * The waitlist's store (docs/demand.md, "The waitlist"): one row per prospect a NO_COVERAGE (or a batch) made, with
 * what the `prospect.viable` webhook carries back, keyed by (tenant, external_id). Shared by every worker of a cluster
 * (the registry's database), so a round on any worker sees every prospect.
 */
import type { ProspectCustomer, WaitlistEntry, WaitlistStatus, WaitlistStore } from '../contract/demand.ts';
import { databaseOf, type ProspectRow, type RegistryDb, type RegistryDbSource } from './database.ts';

const entryOf = (row: ProspectRow): WaitlistEntry => {
  const customer = JSON.parse(row.customer) as ProspectCustomer;
  return {
    tenantId: row.tenant_id,
    externalId: row.external_id,
    prospectId: row.prospect_id,
    source: row.source === 'batch' ? 'batch' : 'reservation',
    viabilityId: customer.viabilityId,
    customer: customer.customer,
    lat: row.lat,
    lng: row.lng,
    radiusMeters: row.radius_meters,
    status: row.status as WaitlistStatus,
    createdAt: row.created_at,
    openUntil: row.open_until,
  };
};

/** The waitlist's rows (docs/demand.md); what activities/prospects.ts calls WaitlistStore. */
export class ProspectStore implements WaitlistStore {
  #db?: RegistryDb;

  constructor(private readonly source: RegistryDbSource) {}

  private get db(): RegistryDb {
    if (!this.#db) throw new Error('ProspectStore: not open yet');
    return this.#db;
  }

  async #ready(): Promise<void> {
    this.#db ??= await databaseOf(this.source);
  }

  /**
   * Records a prospect once: a second call for the same (tenant, external_id), a retried activity say, changes nothing
   * and answers the row as first recorded.
   */
  async record(entry: Omit<WaitlistEntry, 'status'>): Promise<WaitlistEntry> {
    await this.#ready();
    await this.db
      .insertInto('prospects')
      .values({
        tenant_id: entry.tenantId,
        external_id: entry.externalId,
        prospect_id: entry.prospectId,
        source: entry.source,
        customer: JSON.stringify({ viabilityId: entry.viabilityId, customer: entry.customer }),
        lat: entry.lat,
        lng: entry.lng,
        radius_meters: entry.radiusMeters,
        status: 'open',
        created_at: entry.createdAt,
        open_until: entry.openUntil,
        checked_at: null,
        viable_at: null,
        closed_at: null,
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'external_id']).doNothing())
      .execute();
    return (await this.get(entry.tenantId, entry.externalId))!;
  }

  async get(tenantId: string, externalId: string): Promise<WaitlistEntry | undefined> {
    await this.#ready();
    const row = await this.db
      .selectFrom('prospects')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('external_id', '=', externalId)
      .executeTakeFirst();
    return row && entryOf(row);
  }

  /** The tenant's open prospects after `after` (by external_id), at most `limit`: one page of a waitlist round. */
  async openPage(tenantId: string, after: string | undefined, limit: number): Promise<WaitlistEntry[]> {
    await this.#ready();
    let query = this.db
      .selectFrom('prospects')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'open');
    if (after !== undefined) query = query.where('external_id', '>', after);
    const rows = await query.orderBy('external_id').limit(limit).execute();
    return rows.map(entryOf);
  }

  /** When these prospects were last checked (the round's clock). */
  async checked(tenantId: string, externalIds: string[], at: string): Promise<void> {
    await this.#ready();
    if (externalIds.length === 0) return;
    await this.db
      .updateTable('prospects')
      .set({ checked_at: at })
      .where('tenant_id', '=', tenantId)
      .where('external_id', 'in', externalIds)
      .execute();
  }

  /** Open → viable; false when it was not open any more (another round got there first). */
  async markViable(tenantId: string, externalId: string, at: string): Promise<boolean> {
    return this.#leaveOpen(tenantId, externalId, { status: 'viable', viable_at: at });
  }

  /** Open → closed (its window passed); the row stays, as the OZmap prospect does. */
  async markClosed(tenantId: string, externalId: string, at: string): Promise<boolean> {
    return this.#leaveOpen(tenantId, externalId, { status: 'closed', closed_at: at });
  }

  async #leaveOpen(tenantId: string, externalId: string, set: Partial<ProspectRow>): Promise<boolean> {
    await this.#ready();
    const result = await this.db
      .updateTable('prospects')
      .set(set)
      .where('tenant_id', '=', tenantId)
      .where('external_id', '=', externalId)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
