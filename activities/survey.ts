/** The surveyBoxes activity: the boxes around a point that can take the customer, and those that cannot now. */
import type { Candidate, UnavailableBox } from '../contract/schemas.ts';
import { classified } from './failures.ts';
import { shownDistanceMeters } from './geo.ts';
import type { OzmapClient } from './ozmap/client.ts';
import { freePorts } from './ports.ts';

export interface BoxSearch {
  lat: number;
  lng: number;
  radiusMeters: number;
}

export interface BoxSurvey {
  candidates: Candidate[];
  unavailable: UnavailableBox[];
}

/** The most boxes of each kind kept in the state: enough for a salesperson to choose, small enough for history. */
const MAX_CANDIDATES = 25;

/**
 * Boxes in the radius, not "Em projeto", with a service splitter that has a free port, nearest first; and the boxes
 * in the radius that cannot take the customer now (greyed on the map). Two OZmap calls: the boxes `near` the point
 * ("Em projeto" ones too, to show them greyed), then the drop splitters of all of them at once.
 */
export function surveyBoxes(
  ozmap: Pick<OzmapClient, 'findBoxesNear' | 'findDropSplitters'>,
  input: BoxSearch,
): Promise<BoxSurvey> {
  return classified('OZmap', async () => {
    // The server's `near` should already bound this; a server that ignores the radius must not widen it.
    const inRadius = (await ozmap.findBoxesNear(input, input.radiusMeters, { includeDrafts: true }))
      .map((box) => ({ box, distanceMeters: shownDistanceMeters(input, box) }))
      .filter((b) => b.distanceMeters <= input.radiusMeters)
      .sort((a, b) => a.distanceMeters - b.distanceMeters);
    const inService = inRadius.filter(({ box }) => !box.draft);
    const splitters = await ozmap.findDropSplitters(inService.map(({ box }) => box.id));
    const candidates: Candidate[] = [];
    const unavailable: UnavailableBox[] = [];
    for (const { box, distanceMeters } of inRadius) {
      const where = { boxId: box.id, boxName: box.name, distanceMeters, coordinates: { lat: box.lat, lng: box.lng } };
      if (box.draft) {
        unavailable.push({ ...where, reason: 'in-design' });
        continue;
      }
      const drop = splitters.filter((s) => s.boxId === box.id && s.isDrop);
      // A box without service splitters (a splice box) serves no customer: not a candidate, not worth greying.
      if (drop.length === 0) continue;
      const inBox = drop
        .map((s) => ({ splitterId: s.id, splitterName: s.name, freePorts: freePorts(s) }))
        .filter((s) => s.freePorts.length > 0);
      const free = inBox.reduce((n, s) => n + s.freePorts.length, 0);
      if (free > 0) candidates.push({ ...where, freePorts: free, projectId: box.projectId, splitters: inBox });
      else unavailable.push({ ...where, reason: 'no-free-port' });
    }
    return { candidates: candidates.slice(0, MAX_CANDIDATES), unavailable: unavailable.slice(0, MAX_CANDIDATES) };
  });
}
