import { isDrError } from "../domain/errors.js";
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
 * The place for how this process holds a run: a write refused once the last renewal is too old, and
 * a drain that hands runs over on SIGTERM, belong here and in RunEngine.stop.
 */
export class RunLease {
  private tokenValue = "";
  private lostValue = false;
  private timer: NodeJS.Timeout | undefined;

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

  /** Claims the lease; `heldBy` names the live executor that holds it instead. */
  async claim(): Promise<{ ok: true } | { ok: false; heldBy: string }> {
    const claim = await this.o.store.claimLease(this.runId, this.o.ownerId, this.o.leaseTtlMs);
    if (!claim.ok) return claim;
    this.tokenValue = claim.token;
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

  /** A write the lease fences: a `lost_lease` refusal from the store marks the lease lost. */
  async fenced<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (error) {
      if (isDrError(error, "lost_lease")) this.lose();
      throw error;
    }
  }

  /** Stops renewing and releases the lease, unless it was lost (then it is someone else's). */
  async release(): Promise<void> {
    clearInterval(this.timer);
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
    this.onLost();
  }

  private async renew(scopeKeys: readonly string[]): Promise<void> {
    try {
      const held = await this.o.store.renewLease(this.runId, this.tokenValue, this.o.leaseTtlMs);
      if (!held) this.lose();
      else await this.o.store.renewScope([...scopeKeys], this.runId, this.o.scopeTtlMs);
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
