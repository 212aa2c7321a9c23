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

/** The buttons on the watcher's alert and on calendar reminders, each requesting a run. */
export const WATCH_ACTION = {
  alertFailover: "dr:alert-failover",
  reminderRequest: "dr:reminder-request",
} as const;

/** The slash command every `/dr …` request arrives as. */
export const DR_COMMAND = "/dr";
