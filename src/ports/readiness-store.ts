import type { ReadinessReport } from "../domain/readiness/readiness.js";
import type { ReadinessSource } from "./readiness.js";

/**
 * A round asked for before its interval is up: a failover, failback or drill ended (the serving site
 * changed), or a drill was requested with no round kept yet. The leader makes one round for all the
 * requests waiting when it starts, and tells each run with `runId` what that round found.
 */
export interface ReadinessRequest {
  /** Epoch ms when it was asked for. */
  at: number;
  /** The run that asked; its report shows the round as the scope's readiness `moment` the run. */
  runId?: string;
  moment?: "before" | "after";
  /** The run's applications: what its report keeps of the round. */
  applications?: string[];
  /** Why, for the log: "drill-… completed". */
  reason: string;
}

/**
 * Where the watch leader keeps its readiness rounds, so that every replica reads the same one.
 *
 * Contract: every call has a deadline, and throws DrError("timeout") past it or DrError("unavailable")
 * when the store fails; nothing is half written (each write is one command).
 */
export interface ReadinessStore extends ReadinessSource {
  /** Replaces the kept round (idempotent for the same report). */
  keep(report: ReadinessReport): Promise<void>;
  /** Asks for a round soon; requests by the same run and moment replace each other. */
  request(request: ReadinessRequest): Promise<void>;
  /** The requests waiting, oldest first, without taking them. */
  requests(): Promise<ReadinessRequest[]>;
  /** Removes the given requests (those a round answered), leaving any that came in meanwhile. */
  answered(requests: readonly ReadinessRequest[]): Promise<void>;
  /**
   * Takes the round lock for `ttlMs` (a round's deadline plus a margin) unless another process holds
   * it: two rounds never read the sites at once, whoever starts them (the leader, `drbot readiness
   * --now`). Answers whether it was taken; `release` gives back only a lock this token holds.
   */
  lockRound(token: string, ttlMs: number): Promise<boolean>;
  releaseRound(token: string): Promise<void>;
}

/** Which requests replace each other: one per run and moment; those of no run are one. */
export function readinessRequestKey(request: ReadinessRequest): string {
  return request.runId ? `${request.runId}#${request.moment ?? "after"}` : "interval";
}
