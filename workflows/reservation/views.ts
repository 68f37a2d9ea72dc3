/**
 * How the reservation shows itself (docs/architecture.md, "Bounds"): the slimmer state that update answers and
 * webhook events carry, and the Web UI's current details. Pure: no I/O, no clock.
 */
import type { BriefState, ReservationState } from '../../contract/schemas.ts';
import { isFinal } from '../../contract/statuses.ts';

/** A state without its candidate lists (contract: update answers and most webhook events may leave them out). */
export function withoutCandidates(state: ReservationState): BriefState {
  const { candidates: _candidates, unavailableBoxes: _unavailable, ...rest } = state;
  return rest;
}

/** Markdown for the Web UI's "current details". */
export function describe(state: ReservationState): string {
  const lines = [`**${state.status}** — viability \`${state.viabilityId}\``];
  const r = state.reservation;
  if (r) {
    lines.push(`Box **${r.boxName}**, ${r.splitterName}, port **${r.port}**; held until ${r.expiresAt}`);
    if (r.drop) lines.push(`Drop ${Math.round(r.drop.lengthMeters)} m along ${r.drop.poles.length} pole(s)`);
  } else if (state.candidates.length > 0)
    lines.push(`${state.candidates.length} candidate box(es) within ${state.radiusMeters} m`);
  const last = state.changes?.at(-1);
  if (last)
    lines.push(
      (last.kind === 'box'
        ? `Moved from ${last.from.boxName}, ${last.from.splitterName}, port ${last.from.port}`
        : `Hold extended from ${last.from.expiresAt}`) + (last.reason ? ` (${last.reason})` : ''),
    );
  if (state.notice) lines.push(`⚠ ${state.notice}`);
  if (state.outcome && isFinal(state.status)) lines.push(state.outcome.reason);
  return lines.join('\n\n');
}
