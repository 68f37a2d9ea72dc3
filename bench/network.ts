/**
 * The seeded network has about 1,800 free ports; holding tens of thousands of reservations at once needs more. This
 * adds, next to every CTO that has a drop splitter, `layers` more CTOs on the same pole (3 m apart), each with one
 * empty 1x16 drop splitter: records copied from the seeded ones (so they have every field OZmap returns), fresh ids,
 * nothing connected.
 */
import type { BoxRecord, SplitterRecord } from '../simulator/model.ts';
import { runtimeObjectIds } from '../simulator/random.ts';
import type { Store } from '../simulator/store.ts';

/** Returns how many boxes it added. */
export function widenNetwork(store: Store, layers = 1): number {
  const newId = runtimeObjectIds();
  const now = new Date();
  const boxes = store.list('boxes') as BoxRecord[];
  const template = (store.list('splitters') as SplitterRecord[]).find(
    (s) => s.isDrop && s.connectables.output.length === 16,
  );
  if (!template) throw new Error('the seeded network has no 1x16 drop splitter to copy');
  let added = 0;
  const seeded = boxes.filter((box) => !box.draft && store.splittersOf(box.id).some((s) => s.isDrop));
  for (let layer = 1; layer <= layers; layer++)
    for (const box of seeded) {
      const id = newId(now);
      // About 3 m east per layer: the same pole, for a customer standing there.
      const lng = box.lng + 0.00003 * layer;
      store.insertBox({
        ...structuredClone(box),
        _id: id,
        id,
        name: `${box.name}-${layer}`,
        coords: [lng, box.lat],
        lng,
        cables: [],
      });
      const splitterId = newId(now);
      store.insertSplitter({
        ...structuredClone(template),
        _id: splitterId,
        id: splitterId,
        parent: id,
        project: box.project,
        name: 'Splitter 1',
        label: 'Splitter 1',
        index: 0,
        connectables: {
          input: template.connectables.input.map(() => null),
          output: template.connectables.output.map(() => null),
        },
        ports: template.ports.map((p) => ({ ...p, id: newId(now), blocked: false, tags: [] })),
      });
      added++;
    }
  return added;
}
