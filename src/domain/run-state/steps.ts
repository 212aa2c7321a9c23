import { APPROVAL_GATE_ITEM } from "../approval-gate.js";
import { DrError } from "../errors.js";
import { type Actor, refusePermission } from "../permissions.js";
import type { RunRecord, StepRecord } from "../run.js";
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

/**
 * Skips a step that has not succeeded, recorded as the operator's decision. A run paused on that
 * step goes on running; in any other state the step is simply left out when the executor gets to it.
 */
export function skipStep(run: RunRecord, input: StepActionInput, now: number): RunMove {
  const ctx: MoveContext = { actor: input.actor.userId, now };
  const refusal = refusePermission("skip", input.actor, run);
  if (refusal) return refusal;
  const record = input.steps.get(input.stepId);
  if (!record) return new DrError("invalid_input", `run ${run.id} has no step "${input.stepId}"`);
  if (record.status === "succeeded" || record.status === "skipped" || record.status === "running")
    return new DrError("invalid_state", `step ${input.stepId} is ${record.status}; it cannot be skipped`);
  const ended = refuseEnded(run);
  if (ended) return ended;
  const decisions = [
    ...run.decisions,
    { userId: ctx.actor, at: now, decision: "skipped" as const, note: input.stepId },
  ];
  const data = { skipped: input.stepId, by: ctx.actor };
  const change = PAUSED_STATES.has(run.state)
    ? enter(run, "running", ctx, {
        reason: `${input.stepId} skipped by ${ctx.actor}`,
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
        event: runEvent(run, ctx, "step.attestation", { item: "skipped" }, input.stepId),
      },
    ],
    steps: [
      {
        record: { ...record, status: "skipped", endedAt: now, resolvedBy: "operator" },
        event: runEvent(run, ctx, "step.state", { status: "skipped", by: ctx.actor }, input.stepId),
      },
    ],
  };
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
    return refusePermission("tick_checklist", input.actor, run);
  }
  if (planStep.kind === "approval") {
    if (input.item !== APPROVAL_GATE_ITEM)
      return new DrError("invalid_input", "an approval gate is approved, not ticked");
    return refusePermission("approve_gate", input.actor, run);
  }
  return new DrError("invalid_input", `step ${input.stepId} has nothing to tick`);
}
