import { performance } from "node:perf_hooks";
import { DrError, isDrError } from "../domain/errors.js";
import type { Logger } from "../ports/logger.js";
import type { RunStore } from "../ports/run-store.js";

export interface RunLeaseOptions {
  store: RunStore;
  /** Identifies this process as a lease holder (host, pid, random suffix). */
  ownerId: string;
  leaseTtlMs: number;
  /** How long the run's scope lock lives without renewal; renewed with the lease. */
  scopeTtlMs: number;
  log: Logger;
}

/**
 * One run's execution lease as this process holds it: claimed before the first write, renewed every
 * third of its TTL (with the run's scope lock), and released at the end. Every write of the run is
 * fenced by its token (`fenced`); the moment the store says the token no longer holds, the lease is
 * lost and `onLost` stops the execution, so a deposed executor cannot write again.
 *
 * Fencing holds while the process lives, even when the store cannot say anything (a partition, a
 * store that hangs): the lease counts as held only until its last confirmed claim or renewal,
 * measured from when that request was sent (the store set its TTL later still), plus the TTL minus a
 * safety margin. Past that it is lost here, by the monotonic clock: `onLost` aborts the steps in
 * flight and no step starts, before the store could hand the run to anyone else. Each renewal has
 * its own deadline (a third of the TTL); one that fails or does not answer in time confirms nothing.
 * The margin (a fifth of the TTL, at least 100 ms) is the time a step has to stop once aborted.
 */
export class RunLease {
  private tokenValue = "";
  private lostValue = false;
  private timer: NodeJS.Timeout | undefined;
  /** When the request behind the newest confirmation was sent (performance.now()). */
  private confirmedAt = 0;
  private expiry: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: RunLeaseOptions,
    private readonly runId: string,
    private readonly onLost: () => void,
  ) {}

  get token(): string {
    return this.tokenValue;
  }

  get lost(): boolean {
    return this.lostValue;
  }

  /** How long the lease is held from its last confirmation: the TTL less the safety margin. */
  get holdsForMs(): number {
    return this.o.leaseTtlMs - Math.max(100, Math.floor(this.o.leaseTtlMs / 5));
  }

  /** Claims the lease; `heldBy` names the live executor that holds it instead. */
  async claim(): Promise<{ ok: true } | { ok: false; heldBy: string }> {
    const sent = performance.now();
    const claim = await this.o.store.claimLease(this.runId, this.o.ownerId, this.o.leaseTtlMs);
    if (!claim.ok) return claim;
    this.tokenValue = claim.token;
    this.confirmed(sent);
    return { ok: true };
  }

  /** Renews the lease and the run's scope lock (`scopeKeys`) every third of the TTL until `release`. */
  startRenewing(scopeKeys: readonly string[]): void {
    this.timer = setInterval(
      () => void this.renew(scopeKeys),
      Math.max(50, Math.floor(this.o.leaseTtlMs / 3)),
    );
    this.timer.unref();
  }

  /**
   * A write the lease fences: refused here once the lease may have lapsed (see above), and a
   * `lost_lease` refusal from the store marks the lease lost. Redis unavailable for a moment (a
   * Sentinel failover, a reconnect) is retried while the lease holds, backing off from 50 ms to 1 s,
   * and unavailable until the hold ends loses the lease (`lost_lease`), as a partition does:
   * a write whose answer was lost may have been applied, and the executor's writes allow for that
   * (a compare-and-set refused as stale is read again and decided anew; a step record is written
   * whole, its event perhaps twice).
   */
  fenced<T>(write: () => Promise<T>): Promise<T> {
    return this.whileHeld(write);
  }

  /** A read while the lease holds, retried like a write when Redis is unavailable for a moment. */
  read<T>(read: () => Promise<T>): Promise<T> {
    return this.whileHeld(read);
  }

  private async whileHeld<T>(call: () => Promise<T>): Promise<T> {
    for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
      if (!this.lostValue && this.heldForMs() <= 0) this.expired();
      if (this.lostValue) throw new DrError("lost_lease", `the lease of ${this.runId} is no longer held`);
      try {
        return await call();
      } catch (error) {
        if (isDrError(error, "lost_lease")) this.lose();
        if (!isDrError(error, "unavailable")) throw error;
        this.o.log.debug("Redis unavailable for the run's executor; retrying while the lease holds", {
          operation: "engine.store-retry",
          runId: this.runId,
          err: error,
        });
        // Never past the lease's hold: Redis still unavailable then loses the lease (above), so the
        // run is left to the next owner to re-observe, never failed here for an engine error.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(delay, this.heldForMs()))));
      }
    }
  }

  /** How much longer the lease holds from its last confirmation (negative once past). */
  private heldForMs(): number {
    return this.confirmedAt + this.holdsForMs - performance.now();
  }

  /** Stops renewing and releases the lease, unless it was lost (then it is someone else's). */
  async release(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.expiry);
    if (this.lostValue || !this.tokenValue) return;
    await this.o.store.releaseLease(this.runId, this.tokenValue).catch((err: unknown) =>
      // The lease lapses by itself within its TTL; until then nobody else can drive the run.
      this.o.log.warn("could not release the run's lease; it lapses by itself", {
        operation: "engine.release-lease",
        runId: this.runId,
        err,
      }),
    );
  }

  private lose(): void {
    if (this.lostValue) return;
    this.lostValue = true;
    clearInterval(this.timer);
    clearTimeout(this.expiry);
    this.onLost();
  }

  /** A claim or renewal sent at `sent` held: the lease is ours until `sent` + holdsForMs. */
  private confirmed(sent: number): void {
    if (this.lostValue || sent < this.confirmedAt) return;
    this.confirmedAt = sent;
    clearTimeout(this.expiry);
    this.expiry = setTimeout(() => this.expired(), Math.max(0, sent + this.holdsForMs - performance.now()));
    this.expiry.unref();
  }

  private expired(): void {
    if (this.lostValue) return;
    this.o.log.warn(
      "no confirmed renewal of the run's lease within its TTL less the safety margin; stopping its steps so the next owner can take over",
      {
        operation: "engine.lease-expired",
        runId: this.runId,
        sinceConfirmedMs: Math.round(performance.now() - this.confirmedAt),
      },
    );
    this.lose();
  }

  private async renew(scopeKeys: readonly string[]): Promise<void> {
    const sent = performance.now();
    try {
      const held = await withDeadline(
        this.o.store.renewLease(this.runId, this.tokenValue, this.o.leaseTtlMs),
        Math.max(50, Math.floor(this.o.leaseTtlMs / 3)),
        "renewing the run's lease",
      );
      if (!held) {
        this.lose();
        return;
      }
      this.confirmed(sent);
      await this.o.store.renewScope([...scopeKeys], this.runId, this.o.scopeTtlMs);
    } catch (err) {
      // Retried on the next tick; the lease TTL leaves room for several. A lease that lapses meanwhile
      // is noticed by the next write, which is fenced by the token.
      this.o.log.warn("could not renew the run's lease or scope; retrying", {
        operation: "engine.renew-lease",
        runId: this.runId,
        err,
      });
    }
  }
}

/** The store's answer, or a DrError("unavailable") once `ms` passed without one. */
async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new DrError("unavailable", `${what}: no answer within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
