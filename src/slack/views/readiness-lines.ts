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
import { needsReadinessAcceptance } from "../../domain/readiness/run-readiness.js";
import type { RunRecord } from "../../domain/run.js";
import type { StatusScope } from "../../domain/status-scope.js";
import { clip, escapeMrkdwn, LIMITS } from "./block-kit.js";
import { slackDate } from "./run-view-parts.js";

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

/**
 * The approval card's readiness section, above the buttons: the scope's verdict as read for the
 * request, its worst findings with what to do, and, for a real failover or failback of a scope that
 * is not ready, that each approver must accept it (a drill or dry run shows the findings only).
 */
export function readinessCardText(run: RunRecord): string {
  const readiness = run.readiness;
  if (!readiness) return "";
  if (!readiness.read) return `*DR readiness*: :warning: ${escapeMrkdwn(readiness.detail)}`;
  const lines: string[] = [];
  if (needsReadinessAcceptance(run))
    lines.push(
      ":rotating_light: *The DR site is not ready to serve this scope.* Each approver must accept that explicitly.",
    );
  lines.push(
    `*DR readiness*: ${VERDICT_ICON[readiness.verdict]} ${VERDICT_WORDS[readiness.verdict]} (round of ${slackDate(readiness.readAt)}${run.mode === "real" ? "" : "; a drill needs no acceptance"})`,
  );
  // Findings while they fit the section, then how many more and where to read them all.
  let used = lines.join("\n").length;
  let shown = 0;
  for (const f of readiness.findings) {
    const text = [
      `• ${VERDICT_ICON[f.verdict]} ${escapeMrkdwn(clip(`${f.application} ${findingLine(f)}`, 240))}`,
      ...(f.action ? [`    → ${escapeMrkdwn(clip(f.action, 200))}`] : []),
    ].join("\n");
    if (used + text.length + 1 > LIMITS.sectionText - 120) break;
    lines.push(text);
    used += text.length + 1;
    shown += 1;
  }
  const more = readiness.findings.length - shown + readiness.omitted;
  if (more > 0) lines.push(`… and ${more} more: \`/dr status ${escapeMrkdwn(statusName(run))}\``);
  return clip(lines.join("\n"), LIMITS.sectionText);
}

/** What `/dr status` details for the run's scope: its one application, or its one tier. */
function statusName(run: RunRecord): string {
  const [application] = run.scope.applications;
  if (run.scope.applications.length === 1 && application) return application;
  return run.scope.tiers[0] ?? "";
}
