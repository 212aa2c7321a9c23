import type { Clock } from "../../ports/clock.js";
import type { LeaderLease } from "../../ports/leader-lease.js";

/** The leader lease within one process (unit tests, a single replica on the in-memory store). */
export class MemoryLeaderLease implements LeaderLease {
  private readonly held = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly clock: Clock) {}

  async acquire(name: string, token: string, ttlMs: number): Promise<boolean> {
    const current = this.live(name);
    if (current && current !== token) return false;
    this.held.set(name, { token, expiresAt: this.clock.now() + ttlMs });
    return true;
  }

  async renew(name: string, token: string, ttlMs: number): Promise<boolean> {
    if (this.live(name) !== token) return false;
    this.held.set(name, { token, expiresAt: this.clock.now() + ttlMs });
    return true;
  }

  async release(name: string, token: string): Promise<void> {
    if (this.live(name) === token) this.held.delete(name);
  }

  async holder(name: string): Promise<string | undefined> {
    return this.live(name);
  }

  private live(name: string): string | undefined {
    const entry = this.held.get(name);
    if (!entry || entry.expiresAt <= this.clock.now()) return undefined;
    return entry.token;
  }
}
