import { performance } from "node:perf_hooks";
import type { LeaderLease } from "../ports/leader-lease.js";

export interface LeadershipOptions {
  lease: LeaderLease;
  /** The lease's name: one leader per name. */
  name: string;
  /** Unique to this process (host, pid, random). */
  token: string;
  ttlMs: number;
  /** Called when this replica becomes the leader; start the leader's work here. */
  onGained: () => void;
  /** Called when it stops being the leader (lost, expired or released); stop that work at once. */
  onLost: () => void;
  onError?: (error: unknown) => void;
}

/**
 * Leadership among drbot replicas: every replica tries to take the lease every third of its TTL;
 * the leader renews it on the same beat. When the leader dies its lease expires and another replica
 * takes over within about one TTL plus one beat. A leader that cannot confirm its lease (Redis slow
 * or down) steps down before the lease could have expired, so two replicas never both lead.
 */
export class Leadership {
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private confirmedAt = 0;
  private beat: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly o: LeadershipOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops trying; a leader releases its lease so another replica takes over without waiting. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.beat;
    if (this.leading) {
      this.lose();
      await this.o.lease.release(this.o.name, this.o.token).catch((error) => this.o.onError?.(error));
    }
  }

  /** Stops without releasing, as a crashed process would (tests of the takeover). */
  async abandon(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.beat;
    if (this.leading) this.lose();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.beat = this.tick().finally(() => {
        this.beat = undefined;
        this.schedule(Math.max(200, Math.floor(this.o.ttlMs / 3)));
      });
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const started = performance.now();
    try {
      const held = this.leading
        ? await this.o.lease.renew(this.o.name, this.o.token, this.o.ttlMs)
        : await this.o.lease.acquire(this.o.name, this.o.token, this.o.ttlMs);
      if (this.stopped) return;
      if (held) {
        this.confirmedAt = started;
        if (!this.leading) {
          this.leading = true;
          this.o.onGained();
        }
      } else if (this.leading) {
        this.lose();
      }
    } catch (error) {
      this.o.onError?.(error);
      // One missed beat is tolerated (a blip); past half the TTL unconfirmed, the next beat could come
      // after the lease lapsed and another replica took it, so step down now.
      if (this.leading && performance.now() - this.confirmedAt >= this.o.ttlMs / 2) this.lose();
    }
  }

  private lose(): void {
    this.leading = false;
    this.o.onLost();
  }
}
