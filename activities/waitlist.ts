/**
 * The waitlist's activities (docs/demand.md, "The waitlist"): one page of a tenant's open prospects re-checked per
 * call, its OZmap searches grouped by area (area-survey.ts: one search serves every prospect in an area), each prospect
 * evaluated exactly as a reservation's search would; prospects past their window closed (kept in OZmap, with a note).
 * Coverage found is PATCHed `viable: true` here (idempotent); the store is marked once the webhook's delivery has
 * started (markProspectViable), so a round that stops between the two finds the prospect again and cannot send twice.
 */
import type { WaitlistCounts, WaitlistEntry, WaitlistStore } from '../contract/demand.ts';
import type { Candidate } from '../contract/schemas.ts';
import { evaluatePoint, surveyAreas, type AreaOzmap } from './area-survey.ts';
import { classified } from './failures.ts';
import type { OzmapClient } from './ozmap/client.ts';

export type WaitlistOzmap = AreaOzmap & Pick<OzmapClient, 'getProspect' | 'updateProspect'> & { calls?: number };

export interface WaitlistPageInput {
  tenantId: string;
  /** The external_id the previous page ended with. */
  after?: string;
  limit: number;
  /** The round's clock (ISO): a prospect open until before it is closed. */
  roundAt: string;
}

/** A prospect with coverage now, and what its `prospect.viable` event carries. */
export interface ViableProspect {
  externalId: string;
  prospect: { id: string; createdAt: string };
  viabilityId: string;
  customer: { code: string; name: string };
  coordinates: { lat: number; lng: number };
  radiusMeters: number;
  candidates: Candidate[];
}

export interface WaitlistPage {
  /** Where the next page starts; absent: this was the last. */
  next?: string;
  counts: WaitlistCounts;
  viable: ViableProspect[];
}

/**
 * Candidates an event carries per prospect: the nearest few are what a salesperson calls back with, and a page's
 * answer (recorded in the round's history) stays small however many boxes appeared.
 */
export const WAITLIST_CANDIDATES_KEPT = 5;

/** The note a closed prospect's observation gains (its earlier text kept before it). */
export const closedNote = (entry: Pick<WaitlistEntry, 'viabilityId' | 'createdAt'>, at: string): string =>
  `Lista de espera encerrada em ${at.slice(0, 10)}: sem cobertura desde ${entry.createdAt.slice(0, 10)} ` +
  `(viabilidade Ispbox 2 ${entry.viabilityId})`;

export async function checkWaitlistPage(
  ozmap: WaitlistOzmap,
  store: Pick<WaitlistStore, 'openPage' | 'checked' | 'markClosed'>,
  input: WaitlistPageInput,
): Promise<WaitlistPage> {
  const callsBefore = ozmap.calls ?? 0;
  const page = await store.openPage(input.tenantId, input.after, input.limit);
  const expired = page.filter((e) => e.openUntil <= input.roundAt);
  const live = page.filter((e) => e.openUntil > input.roundAt);
  const { viable, areas } = await classified('OZmap', async () => {
    for (const entry of expired) {
      // Never deleted: the prospect stays in OZmap as the record of a demand, its observation saying it was closed.
      const current = await ozmap.getProspect(entry.prospectId);
      if (current) {
        const note = closedNote(entry, input.roundAt);
        const before = current.observation ?? '';
        if (!before.includes(note))
          await ozmap.updateProspect(entry.prospectId, { observation: before ? `${before}\n${note}` : note });
      }
      await store.markClosed(input.tenantId, entry.externalId, input.roundAt);
    }
    const fetched = await surveyAreas(
      ozmap,
      live.map((e) => ({ ...e, lat: e.lat, lng: e.lng, radiusMeters: e.radiusMeters })),
    );
    const found: ViableProspect[] = [];
    for (const { fetched: area, members } of fetched) {
      for (const entry of members) {
        const { candidates } = evaluatePoint(area, entry);
        if (candidates.length === 0) continue;
        await ozmap.updateProspect(entry.prospectId, { viable: true });
        found.push({
          externalId: entry.externalId,
          prospect: { id: entry.prospectId, createdAt: entry.createdAt },
          viabilityId: entry.viabilityId,
          customer: entry.customer,
          coordinates: { lat: entry.lat, lng: entry.lng },
          radiusMeters: entry.radiusMeters,
          candidates: candidates.slice(0, WAITLIST_CANDIDATES_KEPT),
        });
      }
    }
    return { viable: found, areas: fetched.length };
  });
  await store.checked(
    input.tenantId,
    live.map((e) => e.externalId),
    input.roundAt,
  );
  return {
    ...(page.length === input.limit ? { next: page.at(-1)!.externalId } : {}),
    counts: {
      checked: page.length,
      areasSearched: areas,
      ozmapCalls: (ozmap.calls ?? 0) - callsBefore,
      becameViable: viable.length,
      closed: expired.length,
    },
    viable,
  };
}
