/**
 * Tenants (docs/tenants.md): one ISP each, with its own OZmap, keys, settings and webhook. Ids and the admin API's
 * schemas, defined once: the registry, the HTTP API, the CLI and the workflows (types only) share them.
 */
import { z } from 'zod';
import { TENANT_ID_PATTERN } from './ids.ts';
import { plainText, ViabilityMode } from './schemas.ts';
import { webhookSecretProblem } from './webhook-secret.ts';

export const TenantId = z
  .string()
  .regex(TENANT_ID_PATTERN, 'must be 1-32 of a-z, 0-9 and "-", starting and ending with a letter or digit');

const httpsUrl = (what: string) =>
  z
    .string()
    .trim()
    .max(500, `${what} must be at most 500 characters`)
    .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), `${what} must be an http(s) URL`)
    .refine((s) => !URL.canParse(s) || (!new URL(s).username && !new URL(s).password), {
      message: `${what} must not carry credentials (user:password@): they would end up in logs`,
    });

/** A secret as sent: kept encrypted, never shown again (only whether it is set). */
const secret = (what: string, min: number) =>
  plainText(what, 500).min(min, `${what} must be at least ${min} characters`);

export const SelectionDefault = z.enum(['auto', 'manual']);

/**
 * PUT /v1/admin/tenants/{tenantId}: an upsert. On create `name` and `ozmap` (its URL and key) are required; on update
 * any field left out keeps its value, secrets included (`ozmap: { apiKey }` alone rotates the key).
 */
export const TenantInput = z.strictObject({
  name: plainText('name', 200).trim().min(1, 'name must not be empty').optional(),
  ozmap: z
    .strictObject({
      url: httpsUrl('ozmap.url').optional(),
      apiKey: secret('ozmap.apiKey', 1).optional(),
    })
    .optional(),
  radiusMeters: z.number().int().min(1).max(5000).optional(),
  holdDays: z.number().int().min(1).max(365).optional(),
  maxHoldDays: z.number().int().min(1).max(365).optional(),
  selection: SelectionDefault.optional(),
  viabilityMode: ViabilityMode.optional(),
  reminderDays: z.array(z.number().int().min(1).max(90)).max(5).optional(),
  prospects: z
    .strictObject({
      enabled: z.boolean(),
      tags: z.array(plainText('prospects.tags', 64)).max(10).optional(),
      // The waitlist (docs/demand.md): how often it re-checks, and for how long after a prospect was made.
      everyDays: z
        .number()
        .int()
        .min(1, 'prospects.everyDays must be 1-90')
        .max(90, 'prospects.everyDays must be 1-90'),
      forDays: z.number().int().min(1, 'prospects.forDays must be 1-730').max(730, 'prospects.forDays must be 1-730'),
    })
    .partial({ everyDays: true, forDays: true })
    .optional(),
  webhook: z
    .strictObject({
      url: httpsUrl('webhook.url'),
      secret: secret('webhook.secret', 16)
        .refine((s) => !webhookSecretProblem(s), {
          error: (issue) => `webhook.secret: ${webhookSecretProblem(String(issue.input))}`,
        })
        .optional(),
    })
    .nullable()
    .optional(),
  enabled: z.boolean().optional(),
});
export type TenantInput = z.infer<typeof TenantInput>;

/** A tenant as the admin API shows it: secrets only as set or not. */
export const TenantView = z.object({
  id: TenantId,
  name: z.string(),
  enabled: z.boolean(),
  ozmap: z.object({ url: z.string(), apiKey: z.object({ set: z.boolean() }) }),
  radiusMeters: z.number(),
  holdDays: z.number(),
  maxHoldDays: z.number(),
  selection: SelectionDefault,
  viabilityMode: ViabilityMode,
  reminderDays: z.array(z.number()),
  prospects: z.object({
    enabled: z.boolean(),
    tags: z.array(z.string()),
    everyDays: z.number().optional(),
    forDays: z.number().optional(),
  }),
  webhook: z.object({ url: z.string(), secret: z.object({ set: z.boolean(), rotating: z.boolean() }) }).nullable(),
  keys: z.array(z.object({ keyId: z.string(), createdAt: z.string() })),
  /** The environment's tenant: its settings change with the configuration, not through this API. */
  fromEnvironment: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TenantView = z.infer<typeof TenantView>;

/** POST /v1/admin/tenants/{tenantId}/keys: the key, shown this once; only its hash is kept. */
export const CreatedKey = z.object({ keyId: z.string(), key: z.string() });
export type CreatedKey = z.infer<typeof CreatedKey>;
