/**
 * Simulator variants: OZmap tenants that differ from the simulator's default on one inferred fact each, so that
 * `ozres doctor --ozmap` can be shown to catch exactly that difference (docs/operations.md, "Before the first sale").
 * Each is [SIM]: a plausible server, not a claim about any real one.
 *
 *   near-ignores-radius     `near` returns every box, nearest first, whatever the radius (OZmap fact O5)
 *   external-id-ignored     filters on external_id are dropped: the list answers as if unfiltered (§6.7)
 *   occupied-port-body-v2   an occupied port is refused 409 {error: {code, description}}, no `message` (§3.4)
 *   delete-keeps-client     DELETE /properties/<id> leaves its client behind, detached (§6.10)
 */
import { z } from 'zod';
import type { Condition, FilterNode, ListQuery } from './filters.ts';

export const VARIANTS = [
  'near-ignores-radius',
  'external-id-ignored',
  'occupied-port-body-v2',
  'delete-keeps-client',
] as const;
export type Variant = (typeof VARIANTS)[number];

/** `SIM_VARIANTS=a,b`: comma-separated names of VARIANTS. */
export const VariantList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.enum(VARIANTS, { error: `must list variants among ${VARIANTS.join(', ')}` })));

/** The list query as a variant server would read it. */
export function applyListVariants(query: ListQuery, variants: ReadonlySet<Variant>): ListQuery {
  if (!variants.has('near-ignores-radius') && !variants.has('external-id-ignored')) return query;
  const rewrite = (nodes: FilterNode[]): FilterNode[] =>
    nodes.flatMap((node): FilterNode[] => {
      if (Array.isArray(node)) return [rewrite(node)];
      if (variants.has('external-id-ignored') && node.property === 'external_id') return [];
      if (variants.has('near-ignores-radius') && node.operator === 'near' && node.near) {
        const near: Condition['near'] = { ...node.near, radius: undefined };
        return [{ ...node, near }];
      }
      return [node];
    });
  return { ...query, filter: rewrite(query.filter) };
}

/** The refusal body of an occupied (or blocked) port under occupied-port-body-v2. */
export const OCCUPIED_PORT_V2 = (message: string) => ({
  status: 409,
  body: { error: { code: 'PORT_UNAVAILABLE', description: message } },
});
