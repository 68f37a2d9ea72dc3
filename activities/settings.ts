/**
 * The worker's configuration as a reservation reads it (docs/architecture.md, "Bounds"): its limits and whether to
 * send webhooks, never a URL or a secret. Run as a local activity once per run, so history keeps the answer and a
 * later change of configuration never changes a reservation already running.
 */
import type { ReservationSettings } from '../contract/limits.ts';

export function createSettingsActivities(settings: ReservationSettings) {
  return {
    reservationSettings: (): Promise<ReservationSettings> => Promise.resolve(settings),
  };
}

export type SettingsActivities = ReturnType<typeof createSettingsActivities>;
