/** Pure decision logic of the reservation: no I/O, no clock, deterministic; unit-tested on its own. */
import type { Address, Candidate, PortChoice, SelectBoxInput } from '../contract/schemas.ts';

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

/** Auto mode: the nearest box with a free port, its first splitter with one, and that splitter's lowest free port. */
export function pickAutomatic(candidates: readonly Candidate[]): PortChoice | undefined {
  const byDistance = [...candidates].sort((a, b) => a.distanceMeters - b.distanceMeters);
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
        error: `port ${selection.port} is not free on ${selection.splitterId ? 'that splitter' : `any splitter of box ${box.boxName}`}`,
      };
}

function choice(box: Candidate, splitterId: string, splitterName: string, port: number): PortChoice {
  return { boxId: box.boxId, boxName: box.boxName, projectId: box.projectId, splitterId, splitterName, port };
}
