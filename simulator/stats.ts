/**
 * Request, status and fault counters, for tests and for counting HTTP calls per reservation (docs/architecture.md,
 * "Calls per reservation").
 */
import type { FaultKind } from './faults.ts';

export interface StatsSnapshot {
  since: string;
  totalRequests: number;
  /** By "METHOD /api/v2/<route pattern>", e.g. "GET /api/v2/boxes/:id". */
  requests: Record<string, number>;
  /** By HTTP status of /api/v2 answers, injected 503s included. */
  statuses: Record<string, number>;
  faults: { error: number; reset: number; delayed: number; late: number };
  /** Late creates held now, not yet applied: a test waits for none before it judges what OZmap holds. */
  lateInFlight: number;
}

export class Stats {
  private since = new Date();
  private requests = new Map<string, number>();
  private statuses = new Map<string, number>();
  private faults = { error: 0, reset: 0, delayed: 0, late: 0 };
  private lateInFlight = 0;

  countRequest(key: string): void {
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  countStatus(status: number): void {
    this.statuses.set(String(status), (this.statuses.get(String(status)) ?? 0) + 1);
  }

  countFault(kind: FaultKind | 'delayed' | 'late'): void {
    this.faults[kind]++;
  }

  /** A late create held from `lateStarted` until it is applied (or the simulator closes): `lateEnded`. */
  lateStarted(): void {
    this.lateInFlight++;
  }

  lateEnded(): void {
    this.lateInFlight--;
  }

  reset(): void {
    this.since = new Date();
    this.requests.clear();
    this.statuses.clear();
    this.faults = { error: 0, reset: 0, delayed: 0, late: 0 };
  }

  snapshot(): StatsSnapshot {
    const sorted = (map: Map<string, number>) =>
      Object.fromEntries([...map.entries()].sort(([a], [b]) => a.localeCompare(b)));
    return {
      since: this.since.toISOString(),
      totalRequests: [...this.requests.values()].reduce((sum, n) => sum + n, 0),
      requests: sorted(this.requests),
      statuses: sorted(this.statuses),
      faults: { ...this.faults },
      lateInFlight: this.lateInFlight,
    };
  }
}
