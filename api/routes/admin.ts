/**
 * /v1/admin/: the tenants a deployment serves (docs/tenants.md, "Admin API"), for whoever onboards an ISP (Ispbox's
 * support, an operator with `ozres tenants`). Authorised only by `Authorization: Bearer <ADMIN_API_KEY>`: a tenant's
 * key, or ISPBOX_API_KEY, gets 401. Without ADMIN_API_KEY these routes are not registered at all (404).
 *
 *   PUT    /v1/admin/tenants/{tenantId}               201 created, 200 updated (an upsert), with the tenant
 *   GET    /v1/admin/tenants                          200 every tenant, the environment's first
 *   GET    /v1/admin/tenants/{tenantId}               200 the tenant, 404 unknown
 *   POST   /v1/admin/tenants/{tenantId}/keys          201 { keyId, key }: shown this once
 *   DELETE /v1/admin/tenants/{tenantId}/keys/{keyId}  204; that key gets 401 from then on
 *   POST   /v1/admin/secrets/reseal                   200 { moved }: secrets sealed under the current key
 * Secrets are never in an answer: only whether they are set.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { TenantId, TenantInput, TenantView, CreatedKey } from '../../contract/tenants.ts';
import { EnvironmentTenantError, TenantInputError, type Tenant, type TenantRegistry } from '../../registry/registry.ts';
import { linkSigningKey } from '../../client/viability-link.ts';
import { bearerAuth } from '../auth.ts';
import { HttpProblem } from '../errors.ts';
import { errorResponses, json } from '../schemas.ts';

const security = [{ admin: [] }];
const tags = ['admin'];
const TenantParams = z.strictObject({ tenantId: TenantId });
const KeyParams = z.strictObject({ tenantId: TenantId, keyId: z.string().regex(/^[0-9a-f]{16}$/, 'must be a key id') });
const TenantBody = TenantView.meta({ id: 'Tenant', description: 'A tenant; secrets shown only as set or not.' });

/** The registry's refusals as answers: a bad field 400, a change to the environment's tenant 409; else as is. */
function registryProblem(err: unknown): unknown {
  if (err instanceof TenantInputError) return new HttpProblem(400, 'invalid-input', err.message, err.problems);
  if (err instanceof EnvironmentTenantError)
    return new HttpProblem(409, 'conflict', err.message, [{ field: 'tenantId', message: err.message }]);
  return err;
}

const notFound = (tenantId: string) =>
  new HttpProblem(404, 'not-found', `No tenant ${tenantId}`, [{ field: 'tenantId', message: 'is not a tenant' }]);

export const adminRoutes: FastifyPluginAsyncZod<{
  registry: TenantRegistry;
  adminApiKey: string;
  /** Keeps the tenant's waitlist Schedule as its prospects now say (docs/demand.md); absent: workers do at start. */
  waitlist?: (tenant: Tenant) => Promise<void>;
}> = (app, { registry, adminApiKey, waitlist }) => {
  app.addHook('onRequest', bearerAuth(adminApiKey, 'ADMIN_API_KEY'));

  app.put(
    '/v1/admin/tenants/:tenantId',
    {
      schema: {
        operationId: 'putTenant',
        summary: 'Create or update a tenant (an upsert)',
        description:
          'On create, `name` and `ozmap` with its `apiKey` are required. On update, any field left out keeps its ' +
          'value, secrets included; a new `webhook.secret` rotates: the old one keeps signing beside it for ' +
          'WEBHOOK_SECRET_OVERLAP_HOURS. `webhook: null` removes the webhook. The `default` tenant is the ' +
          "environment's and is changed there (409).",
        tags,
        security,
        params: TenantParams,
        body: TenantInput.meta({ id: 'TenantUpsert' }),
        response: {
          201: json(TenantBody, 'Created'),
          200: json(TenantBody, 'Updated'),
          ...errorResponses(400, 401, 409, 413, 415),
        },
      },
    },
    async (request, reply) => {
      try {
        const { tenant, created } = await registry.put(request.params.tenantId, request.body);
        // Only a change to prospects or to whether the tenant is enabled moves its Schedule. The tenant is stored
        // whatever Temporal says: a Schedule not updated now is by the next worker's start.
        const { prospects, enabled } = request.body;
        if (prospects !== undefined || (enabled !== undefined && tenant.settings.prospects.enabled))
          await waitlist?.(tenant).catch((err: unknown) =>
            request.log.warn({ tenantId: tenant.id, error: String(err) }, 'Waitlist schedule not updated'),
          );
        return await reply.code(created ? 201 : 200).send(await registry.view(tenant));
      } catch (err) {
        throw registryProblem(err);
      }
    },
  );

  app.get(
    '/v1/admin/tenants',
    {
      schema: {
        operationId: 'listTenants',
        summary: 'Every tenant, the environment’s first',
        tags,
        security,
        response: {
          200: json(z.object({ tenants: z.array(TenantBody) }).meta({ id: 'TenantList' }), 'The tenants'),
          ...errorResponses(401),
        },
      },
    },
    async () => ({ tenants: await Promise.all((await registry.list()).map((t) => registry.view(t))) }),
  );

  app.get(
    '/v1/admin/tenants/:tenantId',
    {
      schema: {
        operationId: 'getTenant',
        summary: 'A tenant',
        tags,
        security,
        params: TenantParams,
        response: { 200: json(TenantBody, 'The tenant'), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const tenant = await registry.get(request.params.tenantId);
      if (!tenant) throw notFound(request.params.tenantId);
      return registry.view(tenant);
    },
  );

  app.post(
    '/v1/admin/tenants/:tenantId/keys',
    {
      schema: {
        operationId: 'createTenantKey',
        summary: 'A new Ispbox API key for the tenant, shown this once (only its hash is kept)',
        tags,
        security,
        params: TenantParams,
        response: {
          201: json(CreatedKey.meta({ id: 'CreatedKey' }), 'The key: give it to Ispbox now, it is not shown again'),
          ...errorResponses(400, 401, 404, 409),
        },
      },
    },
    async (request, reply) => {
      try {
        const created = await registry.createKey(request.params.tenantId, (key) =>
          linkSigningKey({ ispboxApiKey: key }),
        );
        if (!created) throw notFound(request.params.tenantId);
        return await reply.code(201).header('cache-control', 'no-store').send(created);
      } catch (err) {
        throw registryProblem(err);
      }
    },
  );

  app.delete(
    '/v1/admin/tenants/:tenantId/keys/:keyId',
    {
      schema: {
        operationId: 'revokeTenantKey',
        summary: 'Revoke a key: it gets 401 from then on (within seconds in every process)',
        tags,
        security,
        params: KeyParams,
        response: {
          204: z.null().describe('Revoked: that key gets 401 from now on'),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      if (!(await registry.revokeKey(request.params.tenantId, request.params.keyId)))
        throw new HttpProblem(
          404,
          'not-found',
          `No live key ${request.params.keyId} of tenant ${request.params.tenantId}`,
          [{ field: 'keyId', message: 'is not a live key of this tenant' }],
        );
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/admin/secrets/reseal',
    {
      schema: {
        operationId: 'resealSecrets',
        summary: 'Seal every tenant secret under the current TENANT_SECRETS_KEY (after a rotation)',
        tags,
        security,
        response: {
          200: json(z.object({ moved: z.number().int() }).meta({ id: 'Resealed' }), 'How many secrets moved'),
          ...errorResponses(401),
        },
      },
    },
    async () => ({ moved: await registry.resealSecrets() }),
  );
  return Promise.resolve();
};
