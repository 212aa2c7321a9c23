import type { ReadinessReport } from "./readiness.js";

/**
 * The readiness round as a reader finds it: kept (with its age, stale once the leader has missed
 * rounds), none kept yet, or unreadable (the store did not answer in time). Status, the approval
 * card and the CLI say which, so nobody reads an old or missing verdict as a current one.
 */
export type KeptRound =
  | { state: "read"; report: ReadinessReport; ageMs: number; stale: boolean; intervalMs: number }
  | { state: "not_assessed"; intervalMs: number }
  | { state: "unread"; detail: string };

/** A round older than this many intervals is stale: the leader has not kept one since. */
export const STALE_AFTER_INTERVALS = 3;

export function keptRound(report: ReadinessReport | undefined, now: number, intervalMs: number): KeptRound {
  if (!report) return { state: "not_assessed", intervalMs };
  const ageMs = Math.max(0, now - report.readAt);
  return { state: "read", report, ageMs, stale: ageMs > STALE_AFTER_INTERVALS * intervalMs, intervalMs };
}
