/** Human-readable rendering for terminals: a card for one reservation, a table for many, the reconciler's report. */
import Table from 'cli-table3';
import { isFinal } from '../contract/statuses.ts';
import { type BriefState, type PortPlace, type ReservationChange } from '../contract/schemas.ts';
import type { ReservationPage } from '../client/listing.ts';
import { DEFAULT_TENANT_ID } from '../contract/ids.ts';
import type { ReconcileIdList, ReconcileReport } from '../contract/reconcile.ts';

/** Plain borders and no colours: the output is read by people but also pasted into tickets and logs. */
const table = (head: string[]) => new Table({ head, style: { head: [], border: [] } });

export function formatState(state: BriefState): string {
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
    if (r.drop) row('Drop', `${dropLength(r.drop)} along ${r.drop.poles.length} pole(s)`);
    row('OZmap', `client ${r.clientId}, property ${r.propertyId}`);
    row('Reserved', r.reservedAt);
    if (!isFinal(state.status)) row('Expires', r.expiresAt);
  }
  if (state.notice) row('Notice', state.notice);
  if (state.outcome) row('Outcome', `${state.outcome.reason} (${state.outcome.at})`);
  const offered = state.candidates ?? [];
  if (state.status === 'AWAITING_SELECTION' || (!r && offered.length > 0 && !isFinal(state.status))) {
    lines.push(
      '',
      `Candidate boxes within ${state.radiusMeters} m ` +
        `(choose one with: ozres select ${state.viabilityId} --box <box id> [--port <n>]):`,
    );
    const poles = state.viabilityMode === 'poles';
    const candidates = table(['Box', 'Box id', poles ? 'Drop' : 'Distance', 'Free', 'Splitter: free ports']);
    for (const c of offered) {
      candidates.push([
        c.boxName,
        c.boxId,
        c.drop ? dropLength(c.drop) : `${c.distanceMeters.toFixed(0)} m`,
        c.freePorts,
        c.splitters.map((s) => `${s.splitterName}: ${s.freePorts.join(', ')}`).join('\n'),
      ]);
    }
    lines.push(candidates.toString());
  }
  return lines.join('\n');
}

/** A drop's length as an installer reads it: whole metres along the poles. */
const dropLength = (drop: { lengthMeters: number }) => `${drop.lengthMeters.toFixed(0)} m`;

/**
 * What a move or an extension changed, as the workflow recorded it (the state's last change of that kind): a
 * before/after table, then the reservation as it stands.
 */
export function formatChange(state: BriefState, kind: ReservationChange['kind']): string {
  const change = [...(state.changes ?? [])].reverse().find((c) => c.kind === kind);
  if (!change) return formatState(state);
  const rows = table(['', 'Before', 'After']);
  if (change.kind === 'box') {
    const place = (p: PortPlace) => [`${p.boxName} (${p.boxId})`, `${p.splitterName} (${p.splitterId})`, p.port];
    const [from, to] = [place(change.from), place(change.to)];
    rows.push(['Box', from[0], to[0]], ['Splitter', from[1], to[1]], ['Port', from[2], to[2]]);
  } else {
    rows.push(['Expires', change.from.expiresAt, change.to.expiresAt]);
  }
  const title = `${kind === 'box' ? 'Moved' : 'Extended'} ${state.viabilityId} at ${change.at}`;
  const why = change.reason ? `\nReason: ${change.reason}` : '';
  return `${title}${why}\n${rows.toString()}\n\n${formatState(state)}`;
}

export function formatPage(page: ReservationPage): string {
  if (page.reservations.length === 0) return 'No reservations match.';
  const rows = table(['Viability', 'Status', 'Customer', 'Box', 'Expires', 'Started']);
  for (const r of page.reservations) {
    rows.push([
      r.viabilityId,
      r.status ?? '?',
      r.customerCode ?? '',
      r.boxId ?? '',
      r.expiresAt ? shortTime(r.expiresAt) : '',
      shortTime(r.startedAt),
    ]);
  }
  const more = page.nextPageToken ? `\nMore: ozres list … --page-token ${page.nextPageToken}   (or --all)` : '';
  return `${rows.toString()}\n${page.reservations.length} reservation(s)${more}`;
}

/** "2026-12-28 12:00Z": to the minute is enough in a table. */
const shortTime = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;

/** `ozres reconcile`: what the run found and did, one row per kind. */
export function formatReconcileReport(report: ReconcileReport): string {
  const c = report.counts;
  const rows = table(['Found', 'Count', 'Done', 'Viabilities']);
  const ids = (list: ReconcileIdList) =>
    report.ids[list].join(', ') + (report.truncated.includes(list) ? ', … (first ones only)' : '');
  const done = (n: number, verb: string) => (report.dryRun ? 'dry run' : `${n} ${verb}`);
  rows.push(
    ['Orphans (never implanted, no open workflow)', c.orphans, done(c.released, 'released'), ids('orphans')],
    ['Implanted while held', c.implantedHeld, done(c.confirmed, 'confirmed'), ids('implantedHeld')],
    ["Suspect: our marker, not that reservation's (property ids)", c.suspect, 'left alone', ids('suspect')],
    ['OZmap client gone (open RESERVED)', c.gone, 'reported', ids('gone')],
    ['Changed before the delete', c.changed, 'left alone', ids('changed')],
    ['Held (as it should be)', c.held, '', ''],
    ['Installed (no workflow)', c.installed, 'untouched', ''],
    ["Without the tenant's marker", c.unmarked, 'untouched', ''],
  );
  const head =
    `Tenant ${report.tenantId ?? DEFAULT_TENANT_ID}. ` +
    `${report.dryRun ? 'Dry run: nothing was changed. ' : ''}` +
    `${c.scanned} marked OZmap propert(ies) read, ${c.checked} held reservation(s) checked, ` +
    `${report.pages} page(s), ${report.runs} run(s).`;
  return `${head}\n${rows.toString()}`;
}
