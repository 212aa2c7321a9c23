import { formatMs } from "../duration.js";
import type { KeptRound } from "./kept-round.js";
import { STALE_AFTER_INTERVALS } from "./kept-round.js";
import type { ApplicationReadiness, ReadinessFinding, ReadinessVerdict, TierReadiness } from "./readiness.js";

/**
 * Readiness in words, for every surface (Slack adds icons and escapes, the CLI prints as is): the
 * verdicts, the kept round's age, one line per tier, and a scope's findings worst first.
 */

export const VERDICT_WORDS: Record<ReadinessVerdict, string> = {
  ready: "ready",
  degraded: "degraded",
  unknown: "unknown",
  not_ready: "not ready",
};

const RANK: Record<ReadinessVerdict, number> = { ready: 0, degraded: 1, unknown: 2, not_ready: 3 };

/** How many applications a tier's line names before counting the rest. */
const APPLICATIONS_NAMED = 8;

/** "round 4m ago", stale past three intervals, "not yet assessed", or why it could not be read. */
export function roundHeadline(kept: KeptRound): string {
  switch (kept.state) {
    case "not_assessed":
      return `not yet assessed (the watch leader keeps a round every ${formatMs(kept.intervalMs)})`;
    case "unread":
      return `readiness ${kept.detail}`;
    case "read":
      return kept.stale
        ? `round ${formatMs(kept.ageMs)} ago: stale, older than ${STALE_AFTER_INTERVALS} intervals of ${formatMs(kept.intervalMs)} (the watch leader has kept none since)`
        : `round ${formatMs(kept.ageMs)} ago`;
  }
}

/** "tier1: not ready: payments not ready, ledger degraded" or "tier2: ready (3 applications)". */
export function tierLine(tier: TierReadiness): string {
  const open = tier.applications
    .filter((a) => a.verdict !== "ready")
    .sort((a, b) => RANK[b.verdict] - RANK[a.verdict]);
  if (open.length === 0)
    return `${tier.tier}: ${VERDICT_WORDS[tier.verdict]} (${tier.applications.length} application${tier.applications.length === 1 ? "" : "s"})`;
  const named = open.slice(0, APPLICATIONS_NAMED).map((a) => `${a.application} ${VERDICT_WORDS[a.verdict]}`);
  const more = open.length > APPLICATIONS_NAMED ? `, and ${open.length - APPLICATIONS_NAMED} more` : "";
  return `${tier.tier}: ${VERDICT_WORDS[tier.verdict]}: ${named.join(", ")}${more}`;
}

/** A finding's first line: "drift: image api: …:1.4.2 on dc1, 1.4.1 on dc2". */
export function findingLine(finding: Pick<ReadinessFinding, "check" | "summary">): string {
  return `${finding.check}: ${finding.summary}`;
}

/** The application's findings that are not `ready`, worst first, and the checks that passed. */
export function sortedFindings(app: ApplicationReadiness): { open: ReadinessFinding[]; passed: string[] } {
  return {
    open: app.findings.filter((f) => f.verdict !== "ready").sort((a, b) => RANK[b.verdict] - RANK[a.verdict]),
    passed: app.findings.filter((f) => f.verdict === "ready").map((f) => f.check),
  };
}

/** Each application of the scope as the kept round has it (undefined: not in that round). */
export function scopeApplications(
  kept: KeptRound,
  applications: readonly string[],
): { application: string; readiness: ApplicationReadiness | undefined }[] {
  const report = kept.state === "read" ? kept.report : undefined;
  return applications.map((application) => ({
    application,
    readiness: report?.applications.find((a) => a.application === application),
  }));
}
