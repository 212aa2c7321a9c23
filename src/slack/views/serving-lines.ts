import { groupServing, type Serving, type ServingReading } from "../../domain/site-state.js";
import { escapeMrkdwn } from "./block-kit.js";
import { slackDate, user } from "./run-view-parts.js";

/**
 * Which site serves each application, one line per site and move: "payments, core-api: serving
 * from dc2 since 3 Dec 03:12, failover-… by @oncall", or "(home)" for those never moved.
 */
export function servingLines(serving: readonly Serving[]): string[] {
  return groupServing(serving).map((g) => {
    const apps = escapeMrkdwn(g.applications.join(", "));
    if (!g.move) return `• ${apps}: serving from *${escapeMrkdwn(g.site)}*${g.home ? " (home)" : ""}`;
    return `• ${apps}: serving from *${escapeMrkdwn(g.site)}*${g.home ? " (home)" : ""} since ${slackDate(g.move.at)}, \`${escapeMrkdwn(g.move.runId)}\` by ${user(g.move.by)}`;
  });
}

/** The status answer's part: the lines, or why drbot cannot say which site serves. */
export function servingReadingLines(reading: ServingReading): string[] {
  if (!reading.read) return [`:warning: unknown: ${escapeMrkdwn(reading.detail)}`];
  return servingLines(reading.applications);
}
