/** Pure decision logic of the reservation: no I/O, no clock, deterministic; unit-tested on its own. */
import type { ReservePortResult } from '../../activities/index.ts';
import { DAY_MS } from '../../contract/defaults.ts';
import type { Address, Candidate, PortChoice, Reservation, SelectBoxInput } from '../../contract/schemas.ts';

/** One line a geocoder and OZmap both read: "street, number - neighbourhood, city - UF, CEP, Brasil". */
export function formatAddress(address: Address): string {
  if (typeof address === 'string') return address;
  const street = [address.street, address.number].filter(Boolean).join(', ');
  const cityUf = [address.city, address.state?.toUpperCase()].filter(Boolean).join(' - ');
  return [
    [street, address.complement].filter(Boolean).join(' '),
    address.neighborhood,
    cityUf,
    address.postalCode,
    'Brasil',
  ]
    .filter(Boolean)
    .join(', ');
}

/** How far a candidate is for the customer: its drop along the poles (pole mode), else the straight line. */
export const reach = (c: Candidate): number => c.drop?.lengthMeters ?? c.distanceMeters;

/**
 * Auto mode: the nearest box with a free port (by its drop in pole mode), its first splitter with one, and that
 * splitter's lowest free port.
 */
export function pickAutomatic(candidates: readonly Candidate[]): PortChoice | undefined {
  const byDistance = [...candidates].sort((a, b) => reach(a) - reach(b));
  for (const box of byDistance) {
    for (const splitter of box.splitters) {
      const port = Math.min(...splitter.freePorts);
      if (Number.isFinite(port)) return choice(box, splitter.splitterId, splitter.splitterName, port);
    }
  }
  return undefined;
}

/**
 * Manual mode: turns the salesperson's pick into a concrete port, or explains why it cannot be taken.
 * A box alone means its first free port; a splitter alone means that splitter's first free port.
 */
export function resolveSelection(
  candidates: readonly Candidate[],
  selection: SelectBoxInput,
): PortChoice | { error: string } {
  const box = candidates.find((c) => c.boxId === selection.boxId);
  if (!box) return { error: `box ${selection.boxId} is not among the candidates of this viability` };
  const splitters = selection.splitterId
    ? box.splitters.filter((s) => s.splitterId === selection.splitterId)
    : box.splitters;
  if (splitters.length === 0)
    return {
      error: `splitter ${selection.splitterId} is not a service splitter with free ports in box ${box.boxName}`,
    };
  for (const splitter of splitters) {
    if (selection.port === undefined) {
      const port = Math.min(...splitter.freePorts);
      if (Number.isFinite(port)) return choice(box, splitter.splitterId, splitter.splitterName, port);
    } else if (splitter.freePorts.includes(selection.port)) {
      return choice(box, splitter.splitterId, splitter.splitterName, selection.port);
    }
  }
  return selection.port === undefined
    ? { error: `box ${box.boxName} has no free port left` }
    : {
        error:
          `port ${selection.port} is not free on ` +
          (selection.splitterId ? 'that splitter' : `any splitter of box ${box.boxName}`),
      };
}

/**
 * What is wrong with a selectBox payload, checked by hand so that no schema library enters the workflow: a box id,
 * optionally a splitter id and a port, nothing else. Empty when it is well formed.
 */
export function selectionProblems(payload: unknown): string[] {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return ['(selection): must be an object such as {"boxId": "…"}'];
  const { boxId, splitterId, port, ...others } = payload as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof boxId !== 'string') problems.push('boxId: must be a string');
  else if (boxId.length === 0) problems.push('boxId: boxId must not be empty');
  if (splitterId !== undefined && (typeof splitterId !== 'string' || splitterId.length === 0))
    problems.push('splitterId: must be a non-empty string');
  if (port !== undefined && !(typeof port === 'number' && Number.isInteger(port) && port > 0))
    problems.push('port: port must be a positive whole number');
  const unknown = Object.keys(others);
  if (unknown.length > 0) problems.push(`(selection): unrecognized key(s) ${unknown.map((k) => `"${k}"`).join(', ')}`);
  return problems;
}

/** The reservation as the state shows it: names from the candidates, where OZmap put it, and when the hold ends. */
export function reservationFrom(
  candidates: readonly Candidate[],
  result: Extract<ReservePortResult, { outcome: 'reserved' }>,
  choice: PortChoice,
  reservedAt: number,
  holdDays: number,
): Reservation {
  const box = candidates.find((c) => c.boxId === result.boxId);
  const splitter = box?.splitters.find((s) => s.splitterId === result.splitterId);
  return {
    boxId: result.boxId,
    boxName: box?.boxName ?? (result.boxId === choice.boxId ? choice.boxName : result.boxId),
    splitterId: result.splitterId,
    splitterName:
      splitter?.splitterName ?? (result.splitterId === choice.splitterId ? choice.splitterName : result.splitterId),
    port: result.port,
    clientId: result.clientId,
    propertyId: result.propertyId,
    reservedAt: new Date(reservedAt).toISOString(),
    expiresAt: new Date(reservedAt + holdDays * DAY_MS).toISOString(),
    ...(box?.drop ? { drop: box.drop } : {}),
  };
}

function choice(box: Candidate, splitterId: string, splitterName: string, port: number): PortChoice {
  return {
    boxId: box.boxId,
    boxName: box.boxName,
    projectId: box.projectId,
    splitterId,
    splitterName,
    port,
    ...(box.drop ? { dropPoles: box.drop.poles } : {}),
  };
}

/**
 * Once a port is held: the chosen box and the nearest others, `kept` in all, in their order (the full list mattered
 * only to a person choosing).
 */
export function keptCandidates(candidates: readonly Candidate[], chosenBoxId: string, kept: number): Candidate[] {
  const chosen = candidates.findIndex((c) => c.boxId === chosenBoxId);
  if (chosen < kept) return candidates.slice(0, kept);
  return [...candidates.slice(0, kept - 1), candidates[chosen]!];
}
