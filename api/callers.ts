/**
 * Who a request speaks for (docs/tenants.md, "Tenant calls"): the tenant whose key authorised it, never one the
 * caller names, and the client library acting for that tenant. Without a registry the one key is ISPBOX_API_KEY and
 * the tenant is `default`, as before tenants existed.
 */
import type { FastifyRequest } from 'fastify';
import type { ReservationsClient } from '../client/reservations.ts';
import { DEFAULT_TENANT_ID } from '../contract/ids.ts';
import { bearerMatcher, bearerToken } from '../net/bearer.ts';
import type { Tenant, TenantRegistry } from '../registry/registry.ts';
import { unauthorized } from './auth.ts';
import { HttpProblem } from './errors.ts';

export interface Caller {
  tenantId: string;
  /** The tenant's name (the ISP's), for what people read: the installer's sketch. Absent: show the id. */
  name?: string;
  /** A disabled tenant still reads, confirms and cancels; it starts nothing new (403). */
  enabled: boolean;
  reservations: ReservationsClient;
}

/** A key's caller, or undefined when the key is nobody's (unknown, revoked, malformed). */
export type Authenticate = (token: string) => Promise<Caller | undefined>;

/** Who speaks, by bearer key (the API) or by the key id a map-page link names (the page). */
export interface Callers {
  byKey: Authenticate;
  /** A tenant key's caller and the key its links are signed with; undefined once revoked, or without a registry. */
  byLinkKey(keyId: string): Promise<{ caller: Caller; signingKey: Buffer } | undefined>;
}

/** Scoped clients kept per tenant and settings version: a request does not rebuild a schema. */
const KEPT_TENANTS = 1000;

export function tenantCallers(options: {
  reservations: ReservationsClient;
  ispboxApiKey: string;
  registry?: TenantRegistry;
  /** The `default` tenant's name (DEFAULT_TENANT_NAME), as the registry's environment tenant has it. */
  defaultName?: string;
}): Callers {
  const { reservations, registry } = options;
  const defaultCaller: Caller = {
    tenantId: DEFAULT_TENANT_ID,
    name: options.defaultName ?? DEFAULT_TENANT_ID,
    enabled: true,
    reservations,
  };
  if (!registry) {
    const matches = bearerMatcher(options.ispboxApiKey);
    return {
      byKey: (token) => Promise.resolve(matches(token) ? defaultCaller : undefined),
      byLinkKey: () => Promise.resolve(undefined),
    };
  }
  const scoped = new Map<string, ReservationsClient>();
  const callerOfTenant = (tenant: Tenant): Caller => {
    if (tenant.id === DEFAULT_TENANT_ID) return defaultCaller;
    const key = `${tenant.id}@${tenant.version}`;
    let client = scoped.get(key);
    if (!client) {
      const { settings } = tenant;
      client = reservations.forTenant(tenant.id, {
        ...reservations.defaults,
        radiusMeters: settings.radiusMeters,
        holdDays: settings.holdDays,
        selection: settings.selection,
        limits: { ...reservations.defaults.limits, maxHoldDays: settings.maxHoldDays },
      });
      if (scoped.size >= KEPT_TENANTS) scoped.delete(scoped.keys().next().value!);
      scoped.set(key, client);
    }
    return { tenantId: tenant.id, name: tenant.name, enabled: tenant.enabled, reservations: client };
  };
  return {
    byKey: async (token) => {
      const tenant = await registry.authenticate(token);
      return tenant && callerOfTenant(tenant);
    },
    byLinkKey: async (keyId) => {
      const found = await registry.linkKey(keyId);
      return found && { caller: callerOfTenant(found.tenant), signingKey: found.linkKey };
    },
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by callerAuth on the routes it guards. */
    caller?: Caller;
  }
}

/** The caller of a request that callerAuth let through. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new Error('callerOf: the route is not guarded by callerAuth');
  return request.caller;
}

/**
 * onRequest: `Authorization: Bearer <key>` names the caller, or the request is refused (401) before its body is
 * read. The same answers as a wrong ISPBOX_API_KEY always had.
 */
export function callerAuth(authenticate: Authenticate): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const header = request.headers.authorization;
    const token = bearerToken(header);
    const caller = token === undefined ? undefined : await authenticate(token);
    if (caller) {
      request.caller = caller;
      return;
    }
    throw unauthorized(header, token, {
      missing: 'is missing: send "Authorization: Bearer <key>" (ISPBOX_API_KEY, or a tenant\'s key)',
      malformed: 'must be "Bearer <key>"',
      refused: 'carries a key that is not valid (unknown or revoked)',
    });
  };
}

/** New work (a start, a selection, a move, an extension) for a disabled tenant: 403, naming why. */
export function assertEnabled(caller: Caller): void {
  if (caller.enabled) return;
  throw new HttpProblem(403, 'tenant-disabled', `Tenant ${caller.tenantId} is disabled: it starts nothing new`, [
    { field: 'authorization', message: 'is the key of a disabled tenant: it may read, confirm and cancel only' },
  ]);
}
