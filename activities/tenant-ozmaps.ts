/**
 * Each tenant's OZmap for the activities (docs/tenants.md, "Isolation"): a client built once per tenant and kept
 * until the tenant changes (its registry version), and a bulkhead per tenant. An activity takes one of its tenant's
 * slots for its OZmap calls; with none free it fails at once, retryably, and gives its worker slot back, so a tenant
 * whose OZmap hangs fills its own slots only and Temporal retries its work later.
 */
import { ApplicationFailure } from '@temporalio/common';
import { DEFAULT_TENANT_ID } from '../contract/ids.ts';
import { FAILURES } from '../contract/failures.ts';
import type { OzmapClient } from './ozmap/client.ts';

/** Where a tenant's OZmap is, as the registry says (version bumps on every change of the tenant). */
export interface TenantOzmapSettings {
  version: number;
  url: string;
  apiKey: string;
}

export type TenantOzmapLookup = (tenantId: string) => Promise<TenantOzmapSettings | undefined>;

/** Activities running OZmap calls for one tenant at once, by default. */
export const DEFAULT_SLOTS_PER_TENANT = 8;

export class TenantOzmaps {
  readonly #clients = new Map<string, { version: number; client: OzmapClient }>();
  readonly #busy = new Map<string, number>();

  constructor(
    private readonly lookup: TenantOzmapLookup,
    private readonly makeClient: (settings: TenantOzmapSettings) => OzmapClient,
    private readonly slotsPerTenant: number = DEFAULT_SLOTS_PER_TENANT,
    /** The `default` tenant's client, configured by the environment. */
    private readonly defaultClient?: OzmapClient,
  ) {}

  /** Runs `fn` with the tenant's OZmap client in one of its slots; fails at once (retryable) when all are taken. */
  async run<T>(tenantId: string | undefined, fn: (ozmap: OzmapClient) => Promise<T>): Promise<T> {
    const id = tenantId ?? DEFAULT_TENANT_ID;
    const busy = this.#busy.get(id) ?? 0;
    if (busy >= this.slotsPerTenant)
      throw ApplicationFailure.retryable(
        `Tenant ${id} has ${busy} OZmap calls under way, its bound: this one is retried later`,
        FAILURES.TenantBusy,
      );
    this.#busy.set(id, busy + 1);
    try {
      return await fn(await this.#clientOf(id));
    } finally {
      const left = (this.#busy.get(id) ?? 1) - 1;
      if (left > 0) this.#busy.set(id, left);
      else this.#busy.delete(id);
    }
  }

  /** Where the tenant's OZmap is, as the registry says now (the doctor's checks on the worker). */
  settings(tenantId: string): Promise<TenantOzmapSettings | undefined> {
    return this.lookup(tenantId);
  }

  /** Calls under way per tenant, for metrics and tests. */
  busy(tenantId: string): number {
    return this.#busy.get(tenantId) ?? 0;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#clients.values()].map(({ client }) => client.close()));
    this.#clients.clear();
  }

  async #clientOf(tenantId: string): Promise<OzmapClient> {
    if (tenantId === DEFAULT_TENANT_ID && this.defaultClient) return this.defaultClient;
    const settings = await this.lookup(tenantId);
    if (!settings)
      throw ApplicationFailure.nonRetryable(`No tenant ${tenantId} in the registry`, FAILURES.UnknownTenant);
    const kept = this.#clients.get(tenantId);
    if (kept?.version === settings.version) return kept.client;
    const client = this.makeClient(settings);
    this.#clients.set(tenantId, { version: settings.version, client });
    // The replaced one may still serve calls under way: closed once they had time to end.
    if (kept) setTimeout(() => void kept.client.close(), 60_000).unref();
    return client;
  }
}

/** What runs a tenant's OZmap calls in its slots (TenantOzmaps), seen through the calls an activity makes. */
export interface TenantOzmapRunner<C> {
  run<T>(tenantId: string | undefined, act: (ozmap: C) => Promise<T>): Promise<T>;
}

/**
 * `act` with a tenant's OZmap, in one of that tenant's slots: every activity that calls OZmap goes through here.
 * Without a registry (`tenants` absent) only the `default` tenant's `ozmap` serves; any other is refused, not retried.
 */
export function onTenantOzmap<C, R>(
  deps: { ozmap: C; tenants?: TenantOzmapRunner<C> },
  tenantId: string | undefined,
  act: (ozmap: C) => Promise<R>,
): Promise<R> {
  if (deps.tenants) return deps.tenants.run(tenantId, act);
  if (tenantId === undefined || tenantId === DEFAULT_TENANT_ID) return act(deps.ozmap);
  throw ApplicationFailure.nonRetryable(
    `Tenant ${tenantId}: this worker serves the default tenant only (no tenant registry)`,
    FAILURES.UnknownTenant,
  );
}
