import { namePeople, peopleOf } from "../../domain/people.js";
import { isTerminal, type RunRecord, type StepStatus } from "../../domain/run.js";
import { RUN_ACTION } from "../../domain/slack-actions.js";
import { escapeMrkdwn } from "./block-kit.js";

/** What the run views share: action ids, icons, titles, and how people and times are written. */

/** The action ids of a run's buttons (src/domain/slack-actions.ts: a kept click is evidence). */
export const ACTION = RUN_ACTION;

/** One icon per step status, in the progress message and the step replies. */
export const STEP_ICON: Record<StepStatus, string> = {
  not_started: "◻️",
  running: "🔄",
  waiting: "⏸️",
  succeeded: "✅",
  failed: "❌",
  timed_out: "⏱️",
  skipped: "⏭️",
};

export const KIND_TITLE: Record<RunRecord["kind"], string> = {
  failover: "Failover",
  failback: "Failback",
  drill: "DR drill",
  verify: "Backup verification",
};

/** A Slack user id as a mention; anything else (a CLI identity) as escaped text. */
export const user = (id: string) => (/^[UW][A-Z0-9]+$/.test(id) ? `<@${id}>` : escapeMrkdwn(id));
/** A run's free text (a state reason, a note) for Slack: escaped, the people the run records as mentions. */
export const said = (run: RunRecord, text: string) => namePeople(escapeMrkdwn(text), peopleOf(run), user);
/** To the minute, in the reader's time zone. */
export const slackDate = (ms: number) =>
  `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
/** To the second, in the reader's time zone: when each person decided is part of the record. */
export const slackTime = (ms: number) =>
  `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${new Date(ms).toISOString()}>`;

/** Who approved and when, one approver a line. */
export function approvalLines(approvals: RunRecord["approvals"]): string {
  return approvals.map((a) => `• ${user(a.userId)} at ${slackTime(a.at)}${acceptedText(a)}`).join("\n");
}

/** What an approver accepted explicitly: " (accepted the data loss and not ready)", or nothing. */
function acceptedText(a: RunRecord["approvals"][number]): string {
  const accepted = [a.acceptedDataLoss ? "the data loss" : "", a.acceptedNotReady ? "not ready" : ""].filter(
    Boolean,
  );
  return accepted.length > 0 ? ` (accepted ${accepted.join(" and ")})` : "";
}

/**
 * Where a run's clock stands: now while the run goes on (or once it finished, its RTO measured to
 * the end); for a run that ended early (aborted, failed, rejected), when it ended, so it does not
 * keep counting.
 */
export function clockAt(run: RunRecord, now: number): number {
  if (!isTerminal(run.state) || run.rto.validationEndedAt !== undefined) return now;
  return Math.min(now, run.updatedAt);
}
