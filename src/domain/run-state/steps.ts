import { APPROVAL_GATE_ITEM } from "../approval-gate.js";
import { DrError } from "../errors.js";
import { type Actor, refusePermission } from "../permissions.js";
import type { RunRecord, StepRecord } from "../run.js";
import { skipPassesPointOfNoReturn } from "../undo-rule.js";
import { refuseEnded } from "./control.js";
import { enter, type MoveContext, note, type RunChange, type RunMove, runEvent } from "./run-change.js";
import { PAUSED_STATES } from "./states.js";

/**
 * What people do to one step of a run: skip it, or tick it (a checklist item, an in-run approval
 * gate). Each rule is decided in one function here, so it can be tightened in one place.
 */

export interface StepActionInput {
  actor: Actor;
  stepId: string;
  /** The run's step records as stored now. */
  steps: ReadonlyMap<string, StepRecord>;
}

export interface SkipInput extends StepActionInput {
  /** Why: a skip is a decision, shown on the progress message and in the report with who made it. */
  reason: string;
}

/**
 * Skips a step, as a decision by an approver other than the requester (src/domain/permissions.ts),
 * with a reason. Only a step that failed, or a step of a paused run, can be skipped: never before the
 * run starts (skipping is not approving), never an approval gate, never a checklist that needs a
 * second person, never a step not yet started at or past some undo's point of no return while the
 * run is before it (src/domain/undo-rule.ts: abort instead). A run paused on the step goes on running.
 */
export function skipStep(run: RunRecord, input: SkipInput, now: number): RunMove {
  const ctx: MoveContext = { actor: input.actor.userId, now };
  const refusal =
    refuseEnded(run) ??
    refuseBeforeStart(run) ??
    refusePermission("skip", input.actor, run) ??
    refuseSkip(run, input);
  if (refusal) return refusal;
  const record = input.steps.get(input.stepId)!;
  const reason = input.reason;
  const decisions = [
    ...run.decisions,
    { userId: ctx.actor, at: now, decision: "skipped" as const, stepId: input.stepId, note: reason },
  ];
  const data = { skipped: input.stepId, by: ctx.actor, reason };
  const change = PAUSED_STATES.has(run.state)
    ? enter(run, "running", ctx, {
        reason: `${input.stepId} skipped by ${ctx.actor}: ${reason}`,
        patch: { decisions },
        data,
      })
    : note(run, ctx, { decisions }, "run.note", data);
  if (change instanceof DrError) return change;
  return {
    ...change,
    attestations: [
      {
        stepId: input.stepId,
        attestation: { item: "skipped", userId: ctx.actor, at: now },
        event: runEvent(run, ctx, "step.attestation", { item: "skipped", reason }, input.stepId),
      },
    ],
    steps: [
      {
        record: {
          ...record,
          status: "skipped",
          endedAt: now,
          resolvedBy: "operator",
          skipped: { by: ctx.actor, at: now, reason },
        },
        event: runEvent(run, ctx, "step.state", { status: "skipped", by: ctx.actor, reason }, input.stepId),
      },
    ],
  };
}

/** Nothing is skipped before the run starts: a pending or approved run is approved or rejected whole. */
function refuseBeforeStart(run: RunRecord): DrError | undefined {
  if (run.state !== "pending_approval" && run.state !== "approved") return undefined;
  return new DrError(
    "invalid_state",
    `run ${run.id} has not started (it is ${run.state.replace(/_/g, " ")}); steps are skipped only in a running run, never in place of its approvals`,
  );
}

function refuseSkip(run: RunRecord, input: SkipInput): DrError | undefined {
  const planStep = run.plan.steps.find((s) => s.id === input.stepId);
  const record = input.steps.get(input.stepId);
  if (!planStep || !record)
    return new DrError("invalid_input", `run ${run.id} has no step "${input.stepId}"`);
  if (!input.reason.trim())
    return new DrError("invalid_input", "say why the step is skipped: a skip is a decision");
  if (planStep.kind === "approval")
    return new DrError("not_permitted", `${input.stepId} is an approval gate: it is approved, never skipped`);
  if (planStep.kind === "checklist" && planStep.params.requireOtherThanRequester === true)
    return new DrError(
      "not_permitted",
      `${input.stepId} is a checklist someone other than the requester must tick: it cannot be skipped`,
    );
  const failed = record.status === "failed" || record.status === "timed_out";
  const ofPausedRun =
    PAUSED_STATES.has(run.state) && (record.status === "not_started" || record.status === "waiting");
  if (!failed && !ofPausedRun)
    return new DrError(
      "invalid_state",
      `step ${input.stepId} is ${record.status.replace(/_/g, " ")}; only a failed step, or a step of a paused run, can be skipped`,
    );
  const pointOfNoReturn = skipPassesPointOfNoReturn(input.stepId, run.plan.steps, input.steps);
  if (pointOfNoReturn) return new DrError("not_permitted", pointOfNoReturn);
  return undefined;
}

export interface TickInput extends StepActionInput {
  item: string;
}

/**
 * Ticks a checklist item, or approves an in-run gate, of a step waiting for people. The tick is an
 * attestation; the run's version moves with it so an executor deciding to wait reads it. Ticking
 * twice changes nothing (`onlyIfAttested`).
 */
export function tickStep(run: RunRecord, input: TickInput, now: number): RunMove {
  const ctx: MoveContext = { actor: input.actor.userId, now };
  const planStep = run.plan.steps.find((s) => s.id === input.stepId);
  const record = input.steps.get(input.stepId);
  if (!planStep || !record)
    return new DrError("invalid_input", `run ${run.id} has no step "${input.stepId}"`);
  const ended = refuseEnded(run);
  if (ended) return ended;
  if (record.status !== "waiting")
    return new DrError(
      "invalid_state",
      `step ${input.stepId} is not waiting for a person (it is ${record.status})`,
    );
  const refusal = refuseTick(run, input, planStep);
  if (refusal) return refusal;
  const change: RunChange = note(run, ctx, {}, "run.note", { tick: input.item, step: input.stepId });
  return {
    ...change,
    onlyIfAttested: true,
    attestations: [
      {
        stepId: input.stepId,
        attestation: { item: input.item, userId: ctx.actor, at: now },
        event: runEvent(run, ctx, "step.attestation", { item: input.item }, input.stepId),
      },
    ],
  };
}

function refuseTick(
  run: RunRecord,
  input: TickInput,
  planStep: RunRecord["plan"]["steps"][number],
): DrError | undefined {
  if (planStep.kind === "checklist") {
    const items = Array.isArray(planStep.params.items) ? planStep.params.items : [];
    if (!items.includes(input.item))
      return new DrError("invalid_input", `"${input.item}" is not an item of ${input.stepId}`);
    if (planStep.params.requireOtherThanRequester === true && input.actor.userId === run.requestedBy)
      return new DrError(
        "self_approval",
        `you requested this run; ${input.stepId} must be ticked by someone else (a second pair of eyes)`,
      );
    return refusePermission("tick_checklist", input.actor, run);
  }
  if (planStep.kind === "approval") {
    if (input.item !== APPROVAL_GATE_ITEM)
      return new DrError("invalid_input", "an approval gate is approved, not ticked");
    return refusePermission("approve_gate", input.actor, run);
  }
  return new DrError("invalid_input", `step ${input.stepId} has nothing to tick`);
}
