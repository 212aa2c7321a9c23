import { describePlacement } from "../../domain/placement.js";
import type { TierRpo } from "../../domain/rpo.js";
import type { SourceRpo } from "../../domain/rpo-design.js";
import { sourceLine, sourcesByConcern, tierHeadline } from "../../domain/rpo-text.js";
import type { StatusReport } from "../../domain/status-report.js";
import { clip, escapeMrkdwn } from "./block-kit.js";
import { readinessScopeLines, readinessStatusLines } from "./readiness-lines.js";
import { servingReadingLines } from "./serving-lines.js";

/**
 * The `/dr status` answer: both sites, which site serves each application, readiness per tier (or
 * the findings of the tier or application asked about), RPO per tier and source against their
 * design, active runs, warnings.
 */

/** How many sources a tier lists (what is wrong first) before counting the rest: one outage cannot flood the answer. */
const SOURCES_SHOWN = 8;

const TIER_ICON: Record<TierRpo["state"], string> = {
  within_design: ":large_green_circle:",
  late: ":red_circle:",
  unknown: ":warning:",
  beyond_target: ":red_circle:",
};
const SOURCE_ICON: Record<SourceRpo["state"], string> = {
  within_design: "✅",
  late: "❌",
  unknown: "❔",
  undesigned: "▫️",
};

export function statusText(report: StatusReport): string {
  const lines = ["*drbot status*"];
  for (const site of report.sites) {
    const state = site.reachable
      ? site.ready
        ? ":large_green_circle: healthy"
        : ":large_yellow_circle: no Ready node"
      : ":red_circle: down";
    lines.push(
      `• *${site.site}* (${site.role}): ${state}${site.reachable ? `, ${site.readyNodes}/${site.nodes.length} nodes Ready, ${site.version ?? ""}` : `: ${escapeMrkdwn(site.error?.message ?? "")}`}`,
    );
  }
  if (report.serving) lines.push("*Serving*", ...servingReadingLines(report.serving));
  if (report.readiness)
    lines.push(
      ...(report.scope
        ? readinessScopeLines(report.readiness, report.scope)
        : readinessStatusLines(report.readiness)),
    );
  else if (report.scope)
    lines.push(`*Readiness of ${escapeMrkdwn(report.scope.name)}*: this drbot reads no readiness`);
  lines.push("*RPO per tier*");
  for (const t of report.rpo) {
    lines.push(`• ${TIER_ICON[t.state]} ${t.tier}: ${escapeMrkdwn(tierHeadline(t))}`);
    const sources = sourcesByConcern(t);
    for (const source of sources.slice(0, SOURCES_SHOWN))
      lines.push(`    ◦ ${SOURCE_ICON[source.state]} ${escapeMrkdwn(clip(sourceLine(source), 300))}`);
    if (sources.length > SOURCES_SHOWN) lines.push(`    ◦ … and ${sources.length - SOURCES_SHOWN} more`);
  }
  if (report.placement) lines.push(`*drbot runs in*: ${describePlacement(report.placement)}`);
  lines.push(`*Active runs*: ${report.activeRuns.length || "none"}`);
  for (const r of report.activeRuns)
    lines.push(
      `• \`${r.id}\` ${r.state.replace(/_/g, " ")}: ${r.scope.applications.join(", ")} by <@${r.requestedBy}>`,
    );
  for (const w of report.warnings) lines.push(`:warning: ${escapeMrkdwn(w)}`);
  return lines.join("\n");
}
