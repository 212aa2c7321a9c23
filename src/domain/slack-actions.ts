/**
 * The action ids of drbot's buttons (namespaced, as Slack shows them to listeners). They live in the
 * domain because a stored click is evidence: the engine reads a kept Slack request back and asks
 * which button it was (src/domain/evidence/proof.ts); the views draw the buttons with the same ids.
 */
export const RUN_ACTION = {
  approve: "dr:approve",
  reject: "dr:reject",
  tick: "dr:tick",
  gate: "dr:gate",
  resume: "dr:resume",
  skip: "dr:skip",
  abort: "dr:abort",
} as const;

/**
 * The callback ids of drbot's modals: a submitted modal is evidence too (the reject with its reason
 * is proven by the signed submission).
 */
export const RUN_VIEW = {
  reject: "dr:reject-reason",
} as const;

/** The reject modal's text input (its action id): the reason, optional. */
export const REJECT_REASON_INPUT = "reason";

/** The buttons on the watcher's alert and on calendar reminders, each requesting a run. */
export const WATCH_ACTION = {
  alertFailover: "dr:alert-failover",
  reminderRequest: "dr:reminder-request",
} as const;

/** The slash command every `/dr …` request arrives as. */
export const DR_COMMAND = "/dr";

/**
 * What the Approve button carries: the run, the plan hash, and the readings the approver accepts
 * (`accept-<data-loss key>`, `accept-not-ready-<readiness key>`), in any order after the hash. The
 * engine reads a kept click back with the same parser, so the card, the listener and the evidence
 * check agree on what a click accepted.
 */
export interface ApproveClick {
  runId: string;
  planHash: string;
  acceptsDataLoss?: string;
  acceptsNotReady?: string;
}

const ACCEPTS_NOT_READY = "accept-not-ready-";
const ACCEPTS_DATA_LOSS = "accept-";

export function approveValue(click: ApproveClick): string {
  return [
    click.runId,
    click.planHash,
    ...(click.acceptsDataLoss ? [`${ACCEPTS_DATA_LOSS}${click.acceptsDataLoss}`] : []),
    ...(click.acceptsNotReady ? [`${ACCEPTS_NOT_READY}${click.acceptsNotReady}`] : []),
  ].join("|");
}

export function parseApproveValue(value: string): ApproveClick {
  const [runId = "", planHash = "", ...accepts] = value.split("|");
  const click: ApproveClick = { runId, planHash };
  for (const part of accepts) {
    // The longer prefix first: a not-ready acceptance also starts with "accept-".
    if (part.startsWith(ACCEPTS_NOT_READY)) click.acceptsNotReady = part.slice(ACCEPTS_NOT_READY.length);
    else if (part.startsWith(ACCEPTS_DATA_LOSS)) click.acceptsDataLoss = part.slice(ACCEPTS_DATA_LOSS.length);
  }
  return click;
}
