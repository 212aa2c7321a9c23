import { formatMs } from "../../domain/duration.js";
import { describePlacement } from "../../domain/placement.js";
import { unknownReasons } from "../../domain/rpo.js";
import type { StatusReport } from "../../domain/status-report.js";
import { clip, escapeMrkdwn } from "./block-kit.js";

/** The `/dr status` answer: both sites, RPO per tier (with why a source is unknown), active runs, warnings. */

/** How many unreadable sources a tier lists before counting the rest, so one outage cannot flood the answer. */
const UNKNOWN_SHOWN = 8;

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
  lines.push("*RPO per tier*");
  for (const t of report.rpo) {
    lines.push(
      `• ${t.tier}: ${t.unprotected ? "no data source" : Number.isFinite(t.effectiveMs) ? formatMs(t.effectiveMs) : "unknown"} of ${formatMs(t.targetMs)}${t.withinTarget || t.unprotected ? "" : " :warning:"}${t.unknown.length ? ` (unknown: ${escapeMrkdwn(t.unknown.join(", "))})` : ""}`,
    );
    const reasons = unknownReasons(t);
    for (const r of reasons.slice(0, UNKNOWN_SHOWN))
      lines.push(`    ◦ ${escapeMrkdwn(r.source)}: ${escapeMrkdwn(clip(r.detail, 300))}`);
    if (reasons.length > UNKNOWN_SHOWN) lines.push(`    ◦ … and ${reasons.length - UNKNOWN_SHOWN} more`);
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
