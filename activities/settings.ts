/**
 * The worker's configuration as a reservation reads it (docs/architecture.md, "Bounds"): its limits and whether to
 * send webhooks, never a URL or a secret. Run as a local activity once per run, so history keeps the answer and a
 * later change of configuration never changes a reservation already running.
 */
import { DEFAULT_TENANT_ID } from '../contract/ids.ts';
import type { ProspectSettings } from '../contract/demand.ts';
import type { ReservationSettings } from '../contract/limits.ts';
import type { ViabilityMode } from '../contract/schemas.ts';

/**
 * `settings` are the worker's, the `default` tenant's; `tenantSettings` gives another tenant's from the registry
 * (its longest hold, its reminders, whether it has a webhook), resolved at the start of the run and recorded.
 */
export function createSettingsActivities(
  settings: ReservationSettings,
  tenantSettings?: (tenantId: string, base: ReservationSettings) => Promise<ReservationSettings>,
) {
  return {
    reservationSettings: (scope: { tenantId?: string } = {}): Promise<ReservationSettings> =>
      scope.tenantId === undefined || scope.tenantId === DEFAULT_TENANT_ID || !tenantSettings
        ? Promise.resolve(settings)
        : tenantSettings(scope.tenantId, settings),
  };
}

export type SettingsActivities = ReturnType<typeof createSettingsActivities>;

/** A tenant's feasibility as configured: its mode, and the longest drop where a project sets none (docs/poles.md). */
export interface ViabilitySettings {
  mode: ViabilityMode;
  fallbackMaxDropMeters: number;
}

/** What the settings say of pole mode for `viability`: nothing in radius mode. */
export function polesOf(viability: ViabilitySettings | undefined): Pick<ReservationSettings, 'poles'> {
  return viability?.mode === 'poles' ? { poles: { fallbackMaxDropMeters: viability.fallbackMaxDropMeters } } : {};
}

/** What the settings say of prospects (docs/demand.md): their tags and waitlist window when on, nothing when off. */
export function prospectsOf(prospects: ProspectSettings | undefined): Pick<ReservationSettings, 'prospects'> {
  return prospects?.enabled ? { prospects: { tags: prospects.tags, forDays: prospects.forDays } } : {};
}
