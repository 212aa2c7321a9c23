import { formatMs } from "./duration.js";
import type { TierRpo } from "./rpo.js";
import type { SourceRpo } from "./rpo-design.js";

/**
 * RPO in words, the same in Slack, the terminal and alerts: one headline per tier that tells apart
 * within design, late (a backup that should exist does not), unknown (no reading: never "no risk")
 * and over target (on schedule, but the design cannot meet the RPO), and one line per source.
 */
export function tierHeadline(t: TierRpo): string {
  if (t.unprotected) return "no data source";
  const data = t.sources.some((s) => s.protects === "data")
    ? `${Number.isFinite(t.effectiveMs) ? formatMs(t.effectiveMs) : "an unknown amount"} of data at risk (target ${formatMs(t.targetMs)}${t.worstSource ? `, ${t.worstSource}` : ""})`
    : `configuration only, no application data (target ${formatMs(t.targetMs)})`;
  switch (t.state) {
    case "within_design":
      return `within design: ${data}`;
    case "late":
      return `LATE: a backup that should exist does not (${t.late.join(", ")}); ${data}`;
    case "unknown":
      return `UNKNOWN, treat as at risk: ${t.unknown.join(", ")} could not be read; ${data}`;
    case "beyond_target":
      return `OVER TARGET: ${data}; on schedule, but the design cannot meet the RPO`;
  }
}

/** An unknown source's verdict holds the reading's detail, notice included; a known one gets it added. */
export function sourceLine(s: SourceRpo): string {
  return `${s.source} (${s.protects}): ${s.verdict}${s.notice && s.state !== "unknown" ? `; ${s.notice}` : ""}`;
}

/** Sources in the order people should read them: what is wrong first, application data before configuration. */
export function sourcesByConcern(t: TierRpo): SourceRpo[] {
  const rank = { late: 0, unknown: 1, undesigned: 2, within_design: 3 } as const;
  return [...t.sources].sort(
    (a, b) =>
      rank[a.state] - rank[b.state] || (a.protects === b.protects ? 0 : a.protects === "data" ? -1 : 1),
  );
}
