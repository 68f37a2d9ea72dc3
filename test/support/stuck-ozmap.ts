/**
 * An OZmap client that refuses every DELETE of a property with a 422 while told to: a release that fails for a
 * reason retries cannot fix, which is what sends a settle into its hourly rounds (workflows/reservation/settle.ts).
 */
import { UpstreamHttpError } from '../../activities/http.ts';
import type { OzmapClient } from '../../activities/ozmap/client.ts';

export interface StuckOzmap {
  ozmap: OzmapClient;
  /** While true, releases fail; set it back to false to let OZmap answer again. */
  refuseDeletes: boolean;
  /** DELETEs of a property asked for so far (refused or not). */
  deleteAttempts: number;
}

export function stuckOzmap(real: OzmapClient): StuckOzmap {
  const stuck: StuckOzmap = {
    refuseDeletes: false,
    deleteAttempts: 0,
    ozmap: new Proxy(real, {
      get(target, prop) {
        if (prop === 'deleteProperty')
          return async (id: string) => {
            stuck.deleteAttempts++;
            if (stuck.refuseDeletes)
              throw new UpstreamHttpError(
                'conflict',
                `DELETE /api/v2/properties/${id} answered 422: property is locked by a maintenance order`,
                422,
              );
            return target.deleteProperty(id);
          };
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }),
  };
  return stuck;
}
