import type { KeptRound } from "../domain/readiness/kept-round.js";
import {
  findingLine,
  roundHeadline,
  sortedFindings,
  tierLine,
  VERDICT_WORDS,
} from "../domain/readiness/readiness-text.js";

/**
 * `drbot readiness`: the kept round whole, for the terminal: its age (and how long it took), then
 * each tier's line and each of its applications, with every open finding's evidence and what to do.
 */
export function readinessReportText(kept: KeptRound): string {
  if (kept.state !== "read") return `readiness: ${oneLine(roundHeadline(kept))}`;
  const { report } = kept;
  const lines = [
    `readiness: ${oneLine(roundHeadline(kept))}, read at ${new Date(report.readAt).toISOString()} in ${(report.tookMs / 1000).toFixed(1)} s`,
  ];
  for (const tier of report.tiers) {
    lines.push(oneLine(tierLine(tier)));
    for (const { application } of tier.applications) {
      const app = report.applications.find((a) => a.application === application);
      if (!app) continue;
      const { open, passed } = sortedFindings(app);
      lines.push(`  ${app.application}: ${VERDICT_WORDS[app.verdict]}`);
      for (const finding of open) {
        lines.push(`    ${VERDICT_WORDS[finding.verdict]}: ${oneLine(findingLine(finding))}`);
        for (const line of finding.evidence) lines.push(`      ${oneLine(line)}`);
        if (finding.action) lines.push(`      -> ${oneLine(finding.action)}`);
      }
      if (passed.length > 0) lines.push(`    ready: ${passed.join(", ")}`);
    }
  }
  return lines.join("\n");
}

/** The applications a round says are not ready: what makes `drbot readiness` exit 6. */
export function notReadyApplications(kept: KeptRound): string[] {
  return kept.state === "read"
    ? kept.report.applications.filter((a) => a.verdict === "not_ready").map((a) => a.application)
    : [];
}

/** What a check read, on one line: no control characters reach the terminal (no escape sequences). */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}
