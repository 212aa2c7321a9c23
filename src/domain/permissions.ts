import type { Principals, RunKind } from "./config.js";
import { DrError } from "./errors.js";
import type { RunRecord } from "./run.js";

/**
 * Who may do what to a run: the one place that answers "may this person do this to this run". The
 * roles come from the configuration (`slack.permissions`, users and user groups, deny by default);
 * the app resolves them for the person at click time (src/app/actors.ts) and the state machine asks
 * here when it judges the action.
 */
export interface Actor {
  userId: string;
  /** Listed as a requester of the run's kind. */
  requester: boolean;
  /** Listed as an approver of the run's kind. */
  approver: boolean;
  /** drbot itself, requesting the calendar's scheduled runs (the configuration, reviewed by people, asks). */
  scheduler?: boolean;
}

export type RunAction =
  | "request"
  | "approve"
  | "reject"
  | "abort"
  | "pause"
  | "resume"
  | "skip"
  | "tick_checklist"
  | "approve_gate";

/** Listed by user id or through a user group. Deny by default: an empty list means nobody, never "anyone". */
export function isListed(principals: Principals, userId: string, userGroups: readonly string[]): boolean {
  if (principals.users.includes(userId)) return true;
  return userGroups.some((g) => principals.groups.includes(g));
}

type RunFacts = Pick<RunRecord, "kind" | "mode" | "requestedBy">;

/** Who requests the calendar's scheduled runs: drbot itself, as the configuration (reviewed by people) says. */
export const SCHEDULE_ACTOR = "drbot";

/** Only the calendar's backup verifications are requested by drbot itself. */
export const SCHEDULED_KINDS: ReadonlySet<RunKind> = new Set(["verify"]);

/** Undefined when `actor` may do `action`; otherwise the refusal to give them. */
export function refusePermission(action: RunAction, actor: Actor, run: RunFacts): DrError | undefined {
  const isRequester = actor.userId === run.requestedBy;
  switch (action) {
    case "request":
      if (actor.requester || (actor.scheduler === true && SCHEDULED_KINDS.has(run.kind))) return undefined;
      return new DrError("not_permitted", `you may not request ${run.kind} runs`);
    case "approve":
      // The requester never counts, even when also listed as an approver.
      if (isRequester)
        return new DrError(
          "self_approval",
          `you requested this run, and the two-person rule needs its approvals from others: an approver of ${run.kind} runs approves it, and you may withdraw it by rejecting it; nothing was recorded but this refusal`,
        );
      return actor.approver ? undefined : notEligible(run.kind);
    case "reject":
      // The requester may withdraw their own request; anyone else must be an approver.
      return isRequester || actor.approver ? undefined : notEligible(run.kind);
    case "abort":
    case "pause":
    case "tick_checklist":
      // Operating a run: its requester or any approver of its kind.
      if (isRequester || actor.approver) return undefined;
      return new DrError("not_permitted", `you may not ${OPERATIONS[action]}`);
    case "resume":
    case "skip":
      // Resuming or skipping changes what production sees: a decision by an approver other than the
      // requester, in drills too (a second person, as for the approvals themselves).
      if (isRequester)
        return new DrError(
          "self_approval",
          `you requested this run; someone else (an approver of ${run.kind} runs) must ${action} it`,
        );
      if (actor.approver) return undefined;
      return new DrError("not_permitted", `only ${run.kind} approvers may resume or skip steps of this run`);
    case "approve_gate":
      if (isRequester)
        return new DrError("self_approval", "you requested this run; the gate needs someone else");
      return actor.approver ? undefined : notEligible(run.kind);
  }
}

const OPERATIONS = {
  abort: "abort this run",
  pause: "pause this run",
  tick_checklist: "tick checklist items",
};

function notEligible(kind: RunKind): DrError {
  return new DrError("not_eligible", `you are not an approver for ${kind} runs`);
}
