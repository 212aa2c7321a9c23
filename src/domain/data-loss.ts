import { createHash } from "node:crypto";
import { formatMs } from "./duration.js";
import { canonicalJson } from "./plan-hash.js";
import type { RpoRisk } from "./run.js";

/**
 * Accepting a data loss is accepting one reading of it. The card (and the CLI) show the reading, the
 * approver's proof names it by its key, and when the last approval arrives the exposure is read again:
 * worse than accepted, or newly unknown, and the approvals are void (src/domain/run-state/decide.ts).
 */

/** A short name for one reading of the risk, carried by the approver's click or signature. */
export function dataLossKey(risk: RpoRisk): string {
  return createHash("sha256").update(canonicalJson(risk)).digest("hex").slice(0, 16);
}

/**
 * The risk when the exposure could not be read at all (the readers failed): unknown, which counts as
 * over the RPO and must be accepted, never as no risk.
 */
export function unreadRisk(target: { tier: string; targetMs: number }, why: string, readAt: number): RpoRisk {
  return { targetMs: target.targetMs, tier: target.tier, unknown: [`the RPO reading (${why})`], readAt };
}

/**
 * Why `fresh` is worse than what approvers accepted, or undefined when it is not. Worse means: a loss
 * where none was accepted; unknown where a known amount was; or an older recovery point than the one
 * accepted. Time passing alone is not worse: the same recovery point read later shows a larger age,
 * and approvers accepted losing what came after that point.
 */
export function dataLossWorsened(
  accepted: RpoRisk | undefined,
  fresh: RpoRisk | undefined,
): string | undefined {
  if (!fresh) return undefined;
  if (!accepted)
    return `the data at risk is now beyond the RPO (${describeShort(fresh)}) and nobody accepted that`;
  if (fresh.exposureMs === undefined)
    return accepted.exposureMs === undefined
      ? undefined
      : `the data at risk can no longer be measured (${fresh.unknown.join(", ") || "a source"} could not be read)`;
  if (accepted.exposureMs === undefined) return undefined;
  const acceptedPoint = recoveryPoint(accepted);
  const freshPoint = recoveryPoint(fresh);
  if (acceptedPoint !== undefined && freshPoint !== undefined) {
    if (freshPoint < acceptedPoint - POINT_TOLERANCE_MS)
      return `the newest recovery point is now older than the one accepted (${formatMs(fresh.exposureMs)} of data at risk)`;
    return undefined;
  }
  return fresh.exposureMs > accepted.exposureMs
    ? `${formatMs(fresh.exposureMs)} of data is at risk now, more than the ${formatMs(accepted.exposureMs)} accepted`
    : undefined;
}

/** Readings are stamped to the millisecond by different clocks' reads of the same point: a second of slack. */
const POINT_TOLERANCE_MS = 1_000;

function recoveryPoint(risk: RpoRisk): number | undefined {
  return risk.readAt !== undefined && risk.exposureMs !== undefined
    ? risk.readAt - risk.exposureMs
    : undefined;
}

function describeShort(risk: RpoRisk): string {
  return risk.exposureMs === undefined ? "unknown" : `${formatMs(risk.exposureMs)} of data`;
}
