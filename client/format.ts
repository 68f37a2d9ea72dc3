/** Human-readable rendering of a reservation for terminals. */
import { isFinal, type ReservationState } from '../workflows/contract.ts';

export function formatState(state: ReservationState): string {
  const lines: string[] = [];
  const row = (label: string, value: string | number | undefined) => {
    if (value !== undefined && value !== '') lines.push(`${label.padEnd(12)} ${value}`);
  };
  row('Viability', state.viabilityId);
  row('Status', state.status);
  if (state.coordinates) {
    const { lat, lng, source, displayName } = state.coordinates;
    row('Location', `${lat.toFixed(6)}, ${lng.toFixed(6)} (${source === 'input' ? 'given' : 'geocoded'})`);
    row('Understood', displayName);
  }
  const r = state.reservation;
  if (r) {
    row('Box', `${r.boxName} (${r.boxId})`);
    row('Splitter', `${r.splitterName} (${r.splitterId})`);
    row('Port', r.port);
    row('OZmap', `client ${r.clientId}, property ${r.propertyId}`);
    row('Reserved', r.reservedAt);
    if (!isFinal(state.status)) row('Expires', r.expiresAt);
  }
  if (state.status === 'AWAITING_SELECTION' || (!r && state.candidates.length > 0 && !isFinal(state.status))) {
    lines.push('', `Candidate boxes within ${state.radiusMeters} m:`);
    for (const c of state.candidates) {
      lines.push(`  ${c.boxName.padEnd(12)} ${c.boxId}  ${c.distanceMeters.toFixed(0).padStart(4)} m  ${c.freePorts} free port(s)`);
      for (const s of c.splitters) lines.push(`      ${s.splitterName} (${s.splitterId}): ports ${s.freePorts.join(', ')}`);
    }
  }
  if (state.notice) row('Notice', state.notice);
  if (state.outcome) row('Outcome', `${state.outcome.reason} (${state.outcome.at})`);
  return lines.join('\n');
}
