import { formatMs } from "./duration.js";
import type { RpoRisk, RunRecord } from "./run.js";

/**
 * What approvers are told about a request. The two-person rule itself is a move of the run state
 * machine (src/domain/run-state/decide.ts); who may approve is src/domain/permissions.ts.
 */

/** "2h 5m of data (source velero-daily), beyond the tier-1 RPO of 15m" in plain words. */
export function describeRpoRisk(risk: RpoRisk): string {
  const late = (risk.late ?? []).filter((entry) => !(risk.source && entry.startsWith(`${risk.source} (`)));
  const lateText = late.length > 0 ? `late: ${late.join("; ")}` : "";
  if (risk.exposureMs === undefined)
    return `an unknown amount of data (${risk.unknown.join(", ") || "a source"} could not be read)${lateText ? `; ${lateText}` : ""}`;
  if (risk.exposureMs > risk.targetMs || !risk.late?.length)
    return `${formatMs(risk.exposureMs)} of data${risk.source ? ` (newest recovery point of ${risk.source})` : ""}, beyond the ${risk.tier} RPO of ${formatMs(risk.targetMs)}${lateText ? `; ${lateText}` : ""}`;
  return `more than its design allows: late: ${risk.late.join("; ")}`;
}

export function approvalsMissing(run: RunRecord): number {
  return Math.max(0, run.requiredApprovals - run.approvals.length);
}
