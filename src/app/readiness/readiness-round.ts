import { performance } from "node:perf_hooks";
import { DrError, describeError } from "../../domain/errors.js";
import type { ReadinessReport } from "../../domain/readiness/readiness.js";
import { unreadRound } from "../../domain/readiness/unread-round.js";
import type { Clock } from "../../ports/clock.js";
import type { Logger } from "../../ports/logger.js";
import type { AssessReadiness } from "../../ports/readiness.js";
import type { ReadinessRequest, ReadinessStore } from "../../ports/readiness-store.js";

export interface ReadinessRoundOptions {
  assess: AssessReadiness;
  store: ReadinessStore;
  /** What a round that gives no answer at all reports as unknown. */
  scope: { tiers: readonly string[]; applications: readonly { name: string; tier: string }[] };
  clock: Clock;
  intervalMs: number;
  /** A round still reading by then is cut (its signal aborts); what did not read is unknown. */
  deadlineMs: number;
  /** Unique to this process: the round lock's holder. */
  token: string;
  log: Logger;
  /** How often the loop looks whether a round is due or asked for (default: 5 s, at most the interval). */
  pollMs?: number;
  /** How long after its deadline a round that ignores its signal is given up on (default 2 s). */
  graceMs?: number;
  /** Told after each round kept, with the requests it answered (the runs' reports record it). */
  onKept?: (report: ReadinessReport, requests: readonly ReadinessRequest[]) => Promise<void>;
}

export type RoundOutcome =
  | { kind: "kept"; report: ReadinessReport; requests: ReadinessRequest[] }
  /** Another process holds the round lock: its round is the one that will be kept. */
  | { kind: "busy" }
  /** Stopped while reading (leadership lost, shutdown): nothing kept. */
  | { kind: "stopped" };

/**
 * The readiness round: AssessReadiness over every application, bounded by a deadline, kept in the
 * store for every replica to read. `start` runs it on the leader at the interval, and sooner when a
 * round was asked for (a failover, failback or drill ended); `runOnce` runs one now (`drbot
 * readiness --now`). Never two at once: one at a time in this process, and across processes the
 * store's round lock. A round never blocks a reader: readers read the kept round.
 */
export class ReadinessRound {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** Set by stop(): a round read meanwhile is not kept. */
  private halted = false;
  private current: { done: Promise<RoundOutcome>; controller: AbortController } | undefined;
  private looking: Promise<void> | undefined;

  constructor(private readonly o: ReadinessRoundOptions) {}

  /** Whether a round is being read in this process. */
  get running(): boolean {
    return this.current !== undefined;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.halted = false;
    this.schedule(0);
  }

  /** Stops the loop and cuts the round in flight (nothing of it is kept). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halted = true;
    clearTimeout(this.timer);
    this.current?.controller.abort(new DrError("unavailable", "the readiness round was stopped"));
    await this.looking;
    await this.current?.done.then(
      () => undefined,
      // Whoever asked for that round (the loop, `--now`) is told how it ended; here it only has to end.
      () => undefined,
    );
  }

  /** One round now; joins the round this process is already making rather than starting a second. */
  runOnce(): Promise<RoundOutcome> {
    if (this.current) return this.current.done;
    const controller = new AbortController();
    const done = this.round(controller).finally(() => {
      this.current = undefined;
    });
    this.current = { done, controller };
    return done;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.looking = this.lookAndRun().finally(() => {
        this.looking = undefined;
        this.schedule(this.o.pollMs ?? Math.min(5_000, this.o.intervalMs));
      });
    }, delayMs);
    this.timer.unref();
  }

  /** Runs a round when the kept one is older than the interval, or one was asked for. */
  private async lookAndRun(): Promise<void> {
    try {
      const [latest, requests] = await Promise.all([this.o.store.latest(), this.o.store.requests()]);
      const due = !latest || this.o.clock.now() - latest.readAt >= this.o.intervalMs || requests.length > 0;
      if (due && !this.stopped) await this.runOnce();
    } catch (error) {
      this.o.log.error("the readiness round failed; the next look tries again", {
        operation: "readiness.round",
        err: error,
      });
    }
  }

  private async round(controller: AbortController): Promise<RoundOutcome> {
    const ttl = this.o.deadlineMs + (this.o.graceMs ?? 2_000) + 5_000;
    if (!(await this.o.store.lockRound(this.o.token, ttl))) return { kind: "busy" };
    try {
      const requests = await this.o.store.requests();
      const report = await this.assess(controller).catch((error: unknown) => {
        if (this.halted) return undefined;
        throw error;
      });
      if (!report || this.halted) return { kind: "stopped" };
      await this.o.store.keep(report);
      await this.o.store.answered(requests);
      this.o.log.info(
        `readiness round kept: ${report.applications.length} applications in ${report.tookMs} ms${requests.length ? ` (asked for by ${requests.map((r) => r.reason).join("; ")})` : ""}`,
        { operation: "readiness.round", tookMs: report.tookMs },
      );
      await this.o.onKept?.(report, requests);
      return { kind: "kept", report, requests };
    } finally {
      await this.o.store.releaseRound(this.o.token).catch((error: unknown) =>
        // The lock lapses by itself within its TTL: the next round only waits for that.
        this.o.log.warn("the readiness round lock could not be released; it lapses by itself", {
          operation: "readiness.round",
          err: error,
        }),
      );
    }
  }

  /**
   * The checks within the deadline: their signal aborts at the deadline, and checks that honour it
   * report what did not read as unknown. A check set that gives no answer even `graceMs` later (or
   * fails outright) makes a round of unknowns saying why, so a round always ends.
   */
  private async assess(controller: AbortController): Promise<ReadinessReport> {
    const readAt = this.o.clock.now();
    const started = performance.now();
    const ms = this.o.deadlineMs;
    const cut = setTimeout(
      () => controller.abort(new DrError("timeout", `the readiness round's deadline (${ms} ms) passed`)),
      ms,
    );
    let giveUp: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => {
      giveUp = setTimeout(() => resolve("late"), ms + (this.o.graceMs ?? 2_000));
    });
    try {
      const outcome = await Promise.race([this.o.assess({ signal: controller.signal }), late]);
      if (outcome !== "late") return outcome;
      this.o.log.error(
        "the readiness checks did not end after their deadline; every application is unknown",
        {
          operation: "readiness.round",
          deadlineMs: ms,
        },
      );
      return this.unread(readAt, started, `the round did not end within its deadline (${ms / 1000} s)`);
    } catch (error) {
      if (this.halted) throw error;
      this.o.log.error("the readiness checks failed; every application is unknown", {
        operation: "readiness.round",
        err: error,
      });
      return this.unread(readAt, started, `the checks failed: ${describeError(error)}`);
    } finally {
      clearTimeout(cut);
      clearTimeout(giveUp);
    }
  }

  private unread(readAt: number, started: number, why: string): ReadinessReport {
    return unreadRound({
      ...this.o.scope,
      readAt,
      tookMs: Math.round(performance.now() - started),
      why,
    });
  }
}
