import type { KeptRound } from "../../domain/readiness/kept-round.js";
import type { ReadinessFinding, ReadinessVerdict } from "../../domain/readiness/readiness.js";
import {
  findingLine,
  roundHeadline,
  scopeApplications,
  sortedFindings,
  tierLine,
  VERDICT_WORDS,
} from "../../domain/readiness/readiness-text.js";
import type { StatusScope } from "../../domain/status-scope.js";
import { clip, escapeMrkdwn } from "./block-kit.js";

/**
 * Readiness in Slack: one line per tier in `/dr status`, a scope's findings with their evidence and
 * what to do in `/dr status payments`, and (approval-card.ts) the findings above the buttons.
 */

export const VERDICT_ICON: Record<ReadinessVerdict, string> = {
  ready: ":large_green_circle:",
  degraded: ":large_yellow_circle:",
  unknown: ":warning:",
  not_ready: ":red_circle:",
};

/** Findings one application shows, evidence lines one finding shows: one outage cannot flood the answer. */
const FINDINGS_SHOWN = 10;
const EVIDENCE_SHOWN = 6;

/** The status answer's part: a line per tier, or why there is no verdict to show. */
export function readinessStatusLines(kept: KeptRound): string[] {
  const headline = `*Readiness*: ${escapeMrkdwn(roundHeadline(kept))}`;
  if (kept.state !== "read") return [`${kept.state === "unread" ? ":warning: " : ""}${headline}`];
  const stale = kept.stale ? ":warning: " : "";
  return [
    `${stale}${headline}`,
    ...kept.report.tiers.map((t) => `• ${VERDICT_ICON[t.verdict]} ${escapeMrkdwn(tierLine(t))}`),
  ];
}

/** `/dr status <tier|application>`: each application's verdict, then its findings worst first. */
export function readinessScopeLines(kept: KeptRound, scope: StatusScope): string[] {
  const what = scope.kind === "tier" ? `tier ${scope.name}` : `${scope.name} (${scope.tier})`;
  const lines = [`*Readiness of ${escapeMrkdwn(what)}*: ${escapeMrkdwn(roundHeadline(kept))}`];
  if (kept.state !== "read") return lines;
  for (const { application, readiness } of scopeApplications(kept, scope.applications)) {
    if (!readiness) {
      lines.push(`• :grey_question: *${escapeMrkdwn(application)}*: not in the kept round (added since?)`);
      continue;
    }
    lines.push(
      `• ${VERDICT_ICON[readiness.verdict]} *${escapeMrkdwn(application)}*: ${VERDICT_WORDS[readiness.verdict]}`,
    );
    const { open, passed } = sortedFindings(readiness);
    for (const finding of open.slice(0, FINDINGS_SHOWN)) lines.push(...findingLines(finding));
    if (open.length > FINDINGS_SHOWN) lines.push(`    ◦ … and ${open.length - FINDINGS_SHOWN} more findings`);
    if (passed.length > 0) lines.push(`    ◦ ✅ ready: ${escapeMrkdwn(passed.join(", "))}`);
  }
  return lines;
}

function findingLines(finding: ReadinessFinding): string[] {
  const lines = [`    ◦ ${VERDICT_ICON[finding.verdict]} ${escapeMrkdwn(clip(findingLine(finding), 300))}`];
  for (const line of finding.evidence.slice(0, EVIDENCE_SHOWN))
    lines.push(`        ${escapeMrkdwn(clip(line, 200))}`);
  if (finding.evidence.length > EVIDENCE_SHOWN)
    lines.push(`        … and ${finding.evidence.length - EVIDENCE_SHOWN} more lines`);
  if (finding.action) lines.push(`        → ${escapeMrkdwn(clip(finding.action, 300))}`);
  return lines;
}
