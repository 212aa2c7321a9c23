import { findingLine, VERDICT_WORDS } from "../../domain/readiness/readiness-text.js";
import type { RunReadiness, ScopeReadiness } from "../../domain/readiness/scope-readiness.js";

/**
 * The report's "Readiness before and after" section: each application of the scope in the round
 * before the run and the first round after it, then the findings that were not ready in each, with
 * their evidence and what to do. `cell` escapes text for a table cell (render-report-markdown.ts).
 */
export function readinessMarkdown(
  readiness: RunReadiness,
  cell: (text: string) => string,
  iso: (ms: number) => string,
): string[] {
  const { before, after } = readiness;
  const heading = (label: string, r: ScopeReadiness | undefined) =>
    r ? `${label}: ${VERDICT_WORDS[r.verdict]} (round of ${iso(r.readAt)})` : `${label}: not recorded`;
  const out = ["## Readiness before and after", ""];
  out.push(`| Application | ${heading("Before", before)} | ${heading("After", after)} |`, "|---|---|---|");
  const names = [
    ...new Set(
      [before, after].flatMap((r) => (r ? [...r.applications.map((a) => a.application), ...r.missing] : [])),
    ),
  ];
  const verdict = (r: ScopeReadiness | undefined, name: string) => {
    if (!r) return "-";
    const app = r.applications.find((a) => a.application === name);
    return app ? VERDICT_WORDS[app.verdict] : "not in the round";
  };
  for (const name of names)
    out.push(`| ${cell(name)} | ${verdict(before, name)} | ${verdict(after, name)} |`);
  if (!after)
    out.push(
      "",
      "_After: the watch leader makes a round within seconds of the run's end; `drbot report` shows it once kept._",
    );
  for (const [label, r] of [
    ["Before", before],
    ["After", after],
  ] as const) {
    const open = (r?.applications ?? []).flatMap((a) =>
      a.findings.filter((f) => f.verdict !== "ready").map((f) => ({ application: a.application, ...f })),
    );
    if (open.length === 0) continue;
    out.push("", `${label}, not ready:`, "");
    for (const f of open) {
      out.push(`- ${cell(f.application)}: ${VERDICT_WORDS[f.verdict]}: ${cell(findingLine(f))}`);
      for (const line of f.evidence) out.push(`  - ${cell(line)}`);
      if (f.action) out.push(`  - what to do: ${cell(f.action)}`);
    }
  }
  out.push("");
  return out;
}
