import type { KeptRound } from "../../domain/readiness/kept-round.js";
import type { ReadinessVerdict } from "../../domain/readiness/readiness.js";
import type { RunRecord } from "../../domain/run.js";
import type { Serving } from "../../domain/site-state.js";
import { type Block, clip, context, divider, escapeMrkdwn, header, LIMITS, section } from "./block-kit.js";
import { KIND_TITLE, slackDate } from "./run-view-parts.js";

/**
 * drbot's Home tab: each tier's readiness, which site serves each application, the active runs with
 * links to their threads, the next scheduled tests and the recent runs. Summarised so it stays far
 * inside Slack's 100 blocks and 3000 characters a section whatever the size of the estate: a fixed
 * set of sections, long lists cut with how many more.
 */
export interface AppHomeInput {
  now: number;
  readiness: KeptRound | undefined;
  tiers: readonly string[];
  /** Which site serves each application; undefined when the site state could not be read. */
  serving: readonly Serving[] | undefined;
  active: readonly RunRecord[];
  /** The address of each active run's card (its thread), when known. */
  links: ReadonlyMap<string, string>;
  upcoming: ReadonlyArray<{ schedule: string; runbook: string; at: number; reminder: boolean }>;
  recent: readonly RunRecord[];
}

export interface HomeView {
  type: "home";
  blocks: Block[];
}

const LIST_MAX = 10;
const NAMES_PER_SITE = 25;
const ICON: Record<ReadinessVerdict, string> = {
  ready: ":large_green_circle:",
  degraded: ":large_yellow_circle:",
  unknown: ":white_circle:",
  not_ready: ":red_circle:",
};

export function appHomeView(input: AppHomeInput): HomeView {
  const blocks: Block[] = [
    header("drbot: disaster recovery"),
    context([`Updated ${slackDate(input.now)} · \`/dr status\` for details, \`/dr help\` for commands`]),
    section(readinessLines(input)),
    section(servingLines(input.serving)),
    divider(),
    section(activeLines(input)),
    section(upcomingLines(input)),
    section(recentLines(input.recent)),
  ];
  return { type: "home", blocks };
}

function readinessLines(input: AppHomeInput): string {
  const kept = input.readiness;
  if (!kept) return "*Readiness*\nNot assessed by this drbot.";
  if (kept.state === "not_assessed") return "*Readiness*\nNo readiness round has been kept yet.";
  if (kept.state === "unread") return `*Readiness*\n:warning: the kept round ${escapeMrkdwn(kept.detail)}`;
  const stale = kept.stale ? " :warning: stale" : "";
  const lines = kept.report.tiers.map((t) => {
    const open = t.applications.filter((a) => a.verdict !== "ready");
    const names = open
      .slice(0, 6)
      .map((a) => `${escapeMrkdwn(a.application)} (${a.verdict.replace("_", " ")})`);
    const more = open.length > 6 ? `, +${open.length - 6} more` : "";
    return `${ICON[t.verdict]} *${escapeMrkdwn(t.tier)}*: ${t.verdict.replace("_", " ")}${names.length ? `: ${names.join(", ")}${more}` : ""}`;
  });
  return clip(
    `*Readiness* (read ${slackDate(kept.report.readAt)}${stale})\n${lines.join("\n") || "no tiers"}`,
    LIMITS.sectionText,
  );
}

function servingLines(serving: readonly Serving[] | undefined): string {
  if (!serving) return "*Serving*\n:warning: the site state could not be read";
  const bySite = new Map<string, Serving[]>();
  for (const s of serving) bySite.set(s.site, [...(bySite.get(s.site) ?? []), s]);
  const lines = [...bySite].map(([site, apps]) => {
    const names = apps
      .slice(0, NAMES_PER_SITE)
      .map((a) => `${escapeMrkdwn(a.application)}${a.site !== a.home ? " (away from home)" : ""}`);
    const more = apps.length > NAMES_PER_SITE ? `, +${apps.length - NAMES_PER_SITE} more` : "";
    return `*${escapeMrkdwn(site)}* serves ${apps.length}: ${names.join(", ")}${more}`;
  });
  return clip(`*Serving*\n${lines.join("\n") || "no applications"}`, LIMITS.sectionText);
}

function runLine(run: RunRecord, link: string | undefined): string {
  const id = link ? `<${link}|${run.id}>` : `\`${run.id}\``;
  return `${KIND_TITLE[run.kind]} ${id} of ${escapeMrkdwn(run.scope.applications.slice(0, 5).join(", "))}${run.scope.applications.length > 5 ? ` +${run.scope.applications.length - 5}` : ""}: ${run.state.replace(/_/g, " ")}`;
}

function activeLines(input: AppHomeInput): string {
  if (input.active.length === 0) return "*Active runs*\nnone";
  const lines = input.active.slice(0, LIST_MAX).map((r) => `• ${runLine(r, input.links.get(r.id))}`);
  const more =
    input.active.length > LIST_MAX ? `\n… ${input.active.length - LIST_MAX} more: \`/dr runs\`` : "";
  return clip(`*Active runs*\n${lines.join("\n")}${more}`, LIMITS.sectionText);
}

function upcomingLines(input: AppHomeInput): string {
  if (input.upcoming.length === 0) return "*Next scheduled tests*\nnone scheduled (calendar)";
  const lines = [...input.upcoming]
    .sort((a, b) => a.at - b.at)
    .slice(0, 5)
    .map(
      (u) =>
        `• ${slackDate(u.at)}: ${escapeMrkdwn(u.schedule)} (${u.reminder ? "reminder to request" : "runs"} ${escapeMrkdwn(u.runbook)})`,
    );
  return clip(`*Next scheduled tests*\n${lines.join("\n")}`, LIMITS.sectionText);
}

function recentLines(recent: readonly RunRecord[]): string {
  if (recent.length === 0) return "*Recent runs*\nnone yet";
  const lines = recent
    .slice(0, LIST_MAX)
    .map((r) => `• ${runLine(r, undefined)} (${slackDate(r.createdAt)})`);
  return clip(`*Recent runs*\n${lines.join("\n")}`, LIMITS.sectionText);
}
