import type { ReadinessReport } from "../../domain/readiness/readiness.js";
import { type Clock, systemClock } from "../../ports/clock.js";
import {
  type ReadinessRequest,
  type ReadinessStore,
  readinessRequestKey,
} from "../../ports/readiness-store.js";

/**
 * The kept readiness round in memory, for unit tests and a runtime given an in-memory store: the
 * same contract as the Redis store, checked by the same suite. Values are copied in and out.
 */
export class MemoryReadinessStore implements ReadinessStore {
  private kept: string | undefined;
  private readonly waiting = new Map<string, ReadinessRequest>();
  private lock: { token: string; until: number } | undefined;

  constructor(private readonly clock: Clock = systemClock) {}

  async latest(): Promise<ReadinessReport | undefined> {
    return this.kept === undefined ? undefined : (JSON.parse(this.kept) as ReadinessReport);
  }

  async keep(report: ReadinessReport): Promise<void> {
    this.kept = JSON.stringify(report);
  }

  async request(request: ReadinessRequest): Promise<void> {
    this.waiting.set(readinessRequestKey(request), { ...request });
  }

  async requests(): Promise<ReadinessRequest[]> {
    return [...this.waiting.values()].map((r) => ({ ...r })).sort((a, b) => a.at - b.at);
  }

  async answered(requests: readonly ReadinessRequest[]): Promise<void> {
    for (const request of requests) {
      const field = readinessRequestKey(request);
      const now = this.waiting.get(field);
      if (now && now.at <= request.at) this.waiting.delete(field);
    }
  }

  async lockRound(token: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    if (this.lock && this.lock.until > now) return false;
    this.lock = { token, until: now + ttlMs };
    return true;
  }

  async releaseRound(token: string): Promise<void> {
    if (this.lock?.token === token) this.lock = undefined;
  }
}
