/**
 * A splitter's ports as OZmap shows them (OZmap fact O11: a port is free when nothing is connected to it and it is
 * not blocked). Ports are 1-based. The survey offers the free ones; a refused write asks whether its port is taken.
 */
import type { PortChoice } from '../contract/schemas.ts';
import type { OzmapClient } from './ozmap/client.ts';
import type { OzSplitter } from './ozmap/schemas.ts';

/** A write refused because its port is in use: the workflow offers another, it does not fail. */
export interface PortTaken {
  outcome: 'port-taken';
  message: string;
}

/** Free = nothing connected on the port and not blocked (OZmap fact O11). Ports are 1-based. */
export function freePorts(splitter: Pick<OzSplitter, 'output' | 'blocked'>): number[] {
  return splitter.output.flatMap((occupant, i) => (occupant === null && !splitter.blocked[i] ? [i + 1] : []));
}

/** Something is connected on the port, or it is blocked. A port the splitter does not have is not taken. */
export function isPortTaken(splitter: Pick<OzSplitter, 'output' | 'blocked'>, port: number): boolean {
  const index = port - 1;
  return splitter.output[index] != null || Boolean(splitter.blocked[index]);
}

/**
 * After OZmap refused a write to `choice`: `port-taken` when the port reads taken now, undefined when it reads free
 * or the splitter is gone. OZmap does not document how it words a taken port, so the port itself decides, never the
 * message. Shared by reservePort and movePort, so both call the same port taken.
 */
export async function takenPortOf(
  ozmap: Pick<OzmapClient, 'getSplitter'>,
  choice: PortChoice,
): Promise<PortTaken | undefined> {
  const splitter = await ozmap.getSplitter(choice.splitterId);
  if (!splitter || !isPortTaken(splitter, choice.port)) return undefined;
  return {
    outcome: 'port-taken',
    message: `port ${choice.port} of ${choice.splitterName} in ${choice.boxName} is no longer free`,
  };
}
