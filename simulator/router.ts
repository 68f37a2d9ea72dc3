/** A minimal method + path-pattern router (`/api/v2/boxes/:id`); path parameters arrive URL-decoded. */
import { decodeSegment } from './http.ts';

export interface Route<H> {
  method: string;
  /** e.g. "/api/v2/properties/client/:code"; also the key requests are counted under. */
  pattern: string;
  handler: H;
}

export type Match<H> =
  | { kind: 'found'; route: Route<H>; params: Record<string, string> }
  | { kind: 'wrong-method'; pattern: string; allowed: string[] }
  | { kind: 'none' };

const split = (path: string): string[] => path.split('/').filter((segment) => segment !== '');

export class Router<H> {
  private readonly routes: { route: Route<H>; segments: string[] }[] = [];

  add(method: string, pattern: string, handler: H): this {
    this.routes.push({ route: { method, pattern, handler }, segments: split(pattern) });
    return this;
  }

  /** Literal segments win over parameters, so /properties/client/:code is not read as /properties/:id/... */
  match(method: string, pathname: string): Match<H> {
    const raw = split(pathname);
    const candidates: { route: Route<H>; params: Record<string, string>; literals: number }[] = [];
    for (const { route, segments } of this.routes) {
      if (segments.length !== raw.length) continue;
      const params: Record<string, string> = {};
      let literals = 0;
      const fits = segments.every((segment, i) => {
        const actual = raw[i] as string;
        if (segment.startsWith(':')) {
          params[segment.slice(1)] = actual;
          return true;
        }
        literals++;
        return segment === actual;
      });
      if (fits) candidates.push({ route, params, literals });
    }
    if (candidates.length === 0) return { kind: 'none' };
    candidates.sort((a, b) => b.literals - a.literals);
    const best = candidates.filter((c) => c.literals === candidates[0]?.literals);
    const chosen = best.find((c) => c.route.method === method);
    if (!chosen)
      return {
        kind: 'wrong-method',
        pattern: best[0]?.route.pattern ?? pathname,
        allowed: [...new Set(best.map((c) => c.route.method))],
      };
    const params = Object.fromEntries(Object.entries(chosen.params).map(([key, value]) => [key, decodeSegment(value)]));
    return { kind: 'found', route: chosen.route, params };
  }
}
