import type { KeptRound } from "../domain/readiness/kept-round.js";
import {
  findingLine,
  roundHeadline,
  scopeApplications,
  sortedFindings,
  tierLine,
  VERDICT_WORDS,
} from "../domain/readiness/readiness-text.js";
import type { StatusScope } from "../domain/status-scope.js";

/** `drbot status`'s readiness part: a line per tier, or the findings of the scope asked about. */
export function readinessText(kept: KeptRound | undefined, scope: StatusScope | undefined): string[] {
  if (!kept) return scope ? [`readiness of ${scope.name}: this drbot reads no readiness`] : [];
  if (!scope) {
    const lines = [`readiness: ${oneLine(roundHeadline(kept))}`];
    if (kept.state === "read") lines.push(...kept.report.tiers.map((t) => `  ${oneLine(tierLine(t))}`));
    return lines;
  }
  const what = scope.kind === "tier" ? `tier ${scope.name}` : `${scope.name} (${scope.tier})`;
  const lines = [`readiness of ${what}: ${oneLine(roundHeadline(kept))}`];
  if (kept.state !== "read") return lines;
  for (const { application, readiness } of scopeApplications(kept, scope.applications)) {
    if (!readiness) {
      lines.push(`  ${application}: not in the kept round (added since?)`);
      continue;
    }
    lines.push(`  ${application}: ${VERDICT_WORDS[readiness.verdict]}`);
    const { open, passed } = sortedFindings(readiness);
    for (const finding of open) {
      lines.push(`    ${VERDICT_WORDS[finding.verdict]}: ${oneLine(findingLine(finding))}`);
      for (const line of finding.evidence) lines.push(`      ${oneLine(line)}`);
      if (finding.action) lines.push(`      -> ${oneLine(finding.action)}`);
    }
    if (passed.length > 0) lines.push(`    ready: ${passed.join(", ")}`);
  }
  return lines;
}

/** What a check read, on one line: no control characters reach the terminal (no escape sequences). */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}
