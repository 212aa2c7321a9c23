import { formatMs } from "../../domain/duration.js";
import type { WatchAlert } from "../../domain/probe-tracker.js";
import { WATCH_ACTION } from "../../domain/slack-actions.js";
import type { CalendarReminder } from "../../ports/watch-notifier.js";
import {
  actions,
  type Block,
  button,
  clip,
  context,
  escapeMrkdwn,
  fields,
  header,
  LIMITS,
  section,
  type View,
} from "./block-kit.js";

/** Pure views of the watcher's alert and the calendar's posts. */

export { WATCH_ACTION };

const slackDate = (ms: number) =>
  `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${new Date(ms).toISOString()}>`;

/** One line per failing check, whole lines only (a cut could break a date token), within the section limit. */
function failingLines(alert: WatchAlert): string {
  const lines: string[] = [];
  let used = 0;
  for (const [i, f] of alert.failing.entries()) {
    const line = `• \`${escapeMrkdwn(f.target)}\`: ${escapeMrkdwn(clip(f.detail, 200))} (${f.failures}× since ${slackDate(f.since)})`;
    if (used + line.length + 80 > LIMITS.sectionText - 40) {
      lines.push(`… and ${alert.failing.length - i} more failing check(s)`);
      break;
    }
    lines.push(line);
    used += line.length + 1;
  }
  return lines.join("\n");
}

/**
 * The alert: which serving site is down since when, the applications at stake, and a button that
 * requests the run moving them off it (a failover from home, a failback from DR).
 */
export function alertOpenedView(
  alert: WatchAlert,
  applications: readonly string[],
  remedy: "failover" | "failback" = "failover",
): View {
  const title = `:rotating_light: ${alert.site} is down`;
  const apps = applications.join(", ");
  const blocks: Block[] = [
    header(title),
    fields([
      `*First failed check*\n${slackDate(alert.firstFailureAt)}`,
      `*Alert raised*\n${slackDate(alert.openedAt)} (${formatMs(alert.openedAt - alert.firstFailureAt)} later)`,
      `*Serving, at stake*\n${escapeMrkdwn(apps || "(no application)")}`,
      `*Alert*\n\`${alert.id}\``,
    ]),
    section(`*Failing checks*\n${failingLines(alert) || "(none)"}`),
    actions(`alert:${alert.id}`, [
      button(`Request ${remedy}`, WATCH_ACTION.alertFailover, alert.id, {
        style: "danger",
        confirm: {
          title: `Request a ${remedy}?`,
          text: `This opens a ${remedy} request for ${apps}. It still needs its approvals before anything changes.`,
          confirm: "Request",
        },
      }),
    ]),
    context([
      `drbot never moves traffic by itself: the button opens a ${remedy} request that approvers decide on. The detection time counts toward the run's RTO.`,
    ]),
  ];
  return {
    text: clip(
      `${alert.site} is down: failing checks since ${new Date(alert.firstFailureAt).toISOString()}`,
      LIMITS.messageText,
    ),
    blocks,
  };
}

export function alertClearedView(alert: WatchAlert): View {
  const cleared = alert.clearedAt ?? alert.openedAt;
  const moved = alert.clearedBecause === "no_longer_serving";
  const title = moved
    ? `:arrow_right: ${alert.site} no longer serves`
    : `:white_check_mark: ${alert.site} recovered`;
  return {
    text: moved
      ? `${alert.site} no longer serves: its applications moved, the watcher probes where they are served now`
      : `${alert.site} recovered: every check passes again`,
    blocks: [
      header(title),
      fields([
        `*Down from*\n${slackDate(alert.firstFailureAt)}`,
        `*Cleared*\n${slackDate(cleared)}`,
        `*Duration*\n${formatMs(cleared - alert.firstFailureAt)}`,
        `*Alert*\n\`${alert.id}\``,
      ]),
      context([
        moved
          ? "Its applications are served from another site now, which the watcher probes instead. Whether it answers again is not watched."
          : "Every check passed several rounds in a row. A failover already requested goes on as decided.",
      ]),
    ],
  };
}

export function reminderView(reminder: CalendarReminder): View {
  const targets = reminder.targets.length ? reminder.targets.join(", ") : "every application";
  return {
    text: clip(`Scheduled: ${reminder.text}`, LIMITS.messageText),
    blocks: [
      header(`:calendar: ${reminder.schedule}`),
      section(
        `${escapeMrkdwn(reminder.text)}\nRunbook \`${escapeMrkdwn(reminder.runbook)}\` for ${escapeMrkdwn(targets)}.`,
      ),
      actions(`reminder:${reminder.id}`, [
        button(`Start the ${reminder.runbook}`, WATCH_ACTION.reminderRequest, reminder.id, {
          style: "primary",
        }),
      ]),
      context(["The button opens a request as you; it needs its approvals as always."]),
    ],
  };
}

export function scheduleFailedView(schedule: string, message: string): View {
  return {
    text: clip(`Scheduled ${schedule} could not start: ${message}`, LIMITS.messageText),
    blocks: [
      section(`:warning: *Scheduled ${escapeMrkdwn(schedule)} could not start*: ${escapeMrkdwn(message)}`),
    ],
  };
}
