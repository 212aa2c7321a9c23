import type { WatchAlert } from "../domain/probe-tracker.js";
import type { Logger } from "./logger.js";

/** A reminder posted by the calendar, with a button that requests `runbook` for `targets`. */
export interface CalendarReminder {
  id: string;
  schedule: string;
  runbook: string;
  targets: string[];
  text: string;
  channel: string;
  at: number;
}

/**
 * Where the watcher and the calendar tell people what they saw: the incident channel in Slack, a
 * log without it. Implementations answer within their own deadline and throw on failure; callers
 * keep going (a Slack outage must not stop detection) and retry what matters.
 */
export interface WatchNotifier {
  /** `remedy`: the run its button requests (a failover off the home site, a failback off DR). */
  alertOpened(
    alert: WatchAlert,
    context: { channel: string; applications: string[]; remedy: "failover" | "failback" },
  ): Promise<void>;
  /** Updates the alert where it was posted: recovered, no button any more. */
  alertCleared(alert: WatchAlert, context: { channel: string }): Promise<void>;
  reminder(reminder: CalendarReminder): Promise<void>;
  /** A scheduled run could not be requested (bad scope, busy scope, no runbook). */
  scheduleFailed(schedule: string, channel: string, message: string): Promise<void>;
}

export const logWatchNotifier = (log: Logger): WatchNotifier => ({
  alertOpened: async (a, c) =>
    log.error(
      `ALERT ${a.site} down since ${new Date(a.firstFailureAt).toISOString()} (${a.failing.map((f) => `${f.target}: ${f.detail}`).join("; ")}); affected: ${c.applications.join(", ")}`,
      { operation: "watch.alert", alertId: a.id, site: a.site },
    ),
  alertCleared: async (a) =>
    log.info(
      `alert ${a.id} cleared: ${a.clearedBecause === "no_longer_serving" ? `${a.site} no longer serves (its applications moved)` : `${a.site} answers again`}`,
      { operation: "watch.alert", alertId: a.id },
    ),
  reminder: async (r) => log.info(`reminder ${r.schedule}: ${r.text}`, { operation: "calendar.remind" }),
  scheduleFailed: async (s, _c, m) => log.warn(`schedule ${s} failed: ${m}`, { operation: "calendar.run" }),
});
