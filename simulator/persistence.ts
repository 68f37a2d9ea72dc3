/**
 * The state file: read once at start, rewritten after changes so a demo survives restarts. Writes are coalesced
 * (a burst of reservations costs one write), never overlap, and are atomic (temporary file + rename), so a crash
 * mid-write leaves the previous state intact.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { NetworkState } from './model.ts';
import { type SavedState, withPhysicalLayer } from './network.ts';

const FORMAT = 'ozmap-simulator-state';
const VERSION = 1;
/** Long enough to batch a burst of requests, short enough that a killed process loses at most this much. */
const COALESCE_MS = 50;

const records = z.array(z.looseObject({ id: z.string() }));
/** A shallow check: the file is our own output, so guard against truncation and foreign files, not every field. */
const StateFileSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  savedAt: z.string(),
  state: z.looseObject({
    seed: z.number().int(),
    /** Files written before the physical layer: one project, no pole types or poles (regenerated on load). */
    project: z.object({ id: z.string(), name: z.string() }).optional(),
    projects: records.optional(),
    poleTypes: records.optional(),
    poles: records.optional(),
    /** Files written before prospects have none. */
    prospects: records.optional(),
    users: z.object({ designer: z.looseObject({ id: z.string() }), api: z.looseObject({ id: z.string() }) }),
    boxes: records,
    splitters: records,
    properties: records,
    clients: records,
    drops: records,
  }),
});

export class StateFile {
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastError: Error | undefined;
  private source: (() => NetworkState) | undefined;

  constructor(
    readonly file: string,
    private readonly onError: (error: Error) => void,
  ) {}

  /**
   * The saved state, or undefined when there is no file yet. A damaged file
   * is an error: it is never overwritten silently. A file from before the physical layer gets its seed's projects,
   * pole types and poles; one from before prospects has none.
   */
  async load(): Promise<NetworkState | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let problem: string;
    try {
      const parsed = StateFileSchema.safeParse(JSON.parse(text));
      if (parsed.success) return withPhysicalLayer(parsed.data.state as unknown as SavedState);
      problem = parsed.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .slice(0, 3)
        .join('; ');
    } catch (error) {
      problem = (error as Error).message;
    }
    throw new Error(
      `State file ${this.file} is not a usable OZmap simulator state (${problem}). Move it away or delete it to ` +
        `start again from the seeded network.`,
    );
  }

  /** Notes that the state changed; it is written shortly, once for many changes. */
  markDirty(source: () => NetworkState): void {
    this.source = source;
    this.dirty = true;
    if (this.timer || this.running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, COALESCE_MS);
    this.timer.unref();
  }

  /** Writes any pending change now; rejects if it cannot be written. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) await this.running;
    if (this.dirty) await this.run();
    if (this.dirty && this.lastError) throw this.lastError;
  }

  private run(): Promise<void> {
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Writes until no change is pending; a change made during a write is picked up by the next round. */
  private async drain(): Promise<void> {
    while (this.dirty && this.source) {
      this.dirty = false;
      const text = JSON.stringify({
        format: FORMAT,
        version: VERSION,
        savedAt: new Date().toISOString(),
        state: this.source(),
      });
      try {
        await this.writeAtomically(text);
        this.lastError = undefined;
      } catch (error) {
        // Keep the change pending for the next mutation or flush, rather than spinning on a full disk.
        this.dirty = true;
        this.lastError = error as Error;
        this.onError(this.lastError);
        return;
      }
    }
  }

  private async writeAtomically(text: string): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, this.file);
  }
}
