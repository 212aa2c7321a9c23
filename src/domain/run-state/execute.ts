import { DrError } from "../errors.js";
import type { RunRecord } from "../run.js";
import { type Entry, enter, isRefused, type MoveContext, type RunMove } from "./run-change.js";
import { DRIVABLE_STATES, type RunState } from "./states.js";

/**
 * The executor's own moves (src/engine): it starts a run, takes over one whose executor died, waits
 * for people, pauses, and ends it. The context's actor is `engine:<owner>`. A refusal means the run
 * moved on under the executor (an operator aborted it, another executor finished it): the executor
 * writes nothing and reads the run again.
 */

type Control = NonNullable<RunRecord["control"]>;

/**
 * An executor only moves a run it can hold (DRIVABLE_STATES), and some moves only from one state
 * (it starts an approved run, not a waiting one); every transition it makes records the RTO times
 * as they stand after it.
 */
function move(
  run: RunRecord,
  to: RunState,
  ctx: MoveContext,
  entry: Entry = {},
  from: ReadonlySet<RunState> = DRIVABLE_STATES,
): RunMove {
  if (!from.has(run.state))
    return new DrError("invalid_state", `run ${run.id} is ${run.state}; this executor move does not apply`, {
      state: run.state,
      to,
    });
  const change = enter(run, to, ctx, entry);
  if (isRefused(change)) return change;
  const [event, ...rest] = change.events;
  if (!event) return change;
  return { ...change, events: [{ ...event, data: { ...event.data, rto: change.run.rto } }, ...rest] };
}

export function startRun(run: RunRecord, ctx: MoveContext): RunMove {
  return move(run, "running", ctx, {}, new Set(["approved"]));
}

/**
 * A run whose executor died with steps in flight: the next executor marks it interrupted before it
 * asks whether each step's effect holds (src/engine re-observes them).
 */
export function takeOverRun(
  run: RunRecord,
  input: { owner: string; inFlight: string[] },
  ctx: MoveContext,
): RunMove {
  return move(run, "interrupted", ctx, {
    reason: `the previous executor stopped with ${input.inFlight.length} step(s) in flight; re-observing them`,
    type: "run.takeover",
    data: { owner: input.owner, inFlight: input.inFlight },
  });
}

export function finishReobserving(run: RunRecord, ctx: MoveContext): RunMove {
  return move(
    run,
    "running",
    ctx,
    { reason: "every interrupted step was re-observed" },
    new Set(["interrupted"]),
  );
}

export function continueAfterManualStep(run: RunRecord, ctx: MoveContext): RunMove {
  return move(run, "running", ctx, { reason: "a manual step is done" }, new Set(["waiting_manual"]));
}

export function waitForPerson(run: RunRecord, input: { waitingOn: string[] }, ctx: MoveContext): RunMove {
  return move(run, "waiting_manual", ctx, {
    reason: "waiting for a person",
    data: { waitingOn: input.waitingOn },
  });
}

/** A step failed (or cannot start, or cannot be observed after a takeover) and needs a person. */
export function pauseOnFailedStep(run: RunRecord, input: { reason: string }, ctx: MoveContext): RunMove {
  return move(run, "paused_failed_step", ctx, { reason: input.reason });
}

/** Carries out an operator's pause at a step boundary. */
export function pauseByOperator(run: RunRecord, input: { control: Control }, ctx: MoveContext): RunMove {
  return move(run, "paused_by_operator", ctx, {
    reason: `paused by ${input.control.userId}`,
    patch: { control: undefined },
    data: { by: input.control.userId },
  });
}

/** Carries out an operator's abort once nothing is in flight. */
export function abortByOperator(run: RunRecord, input: { control: Control }, ctx: MoveContext): RunMove {
  const note = input.control.note ? `: ${input.control.note}` : "";
  return move(run, "aborted", ctx, {
    reason: `aborted by ${input.control.userId}${note}`,
    patch: { control: undefined },
    data: { by: input.control.userId },
  });
}

/** Every step succeeded or was skipped. */
export function completeRun(run: RunRecord, input: { rto: RunRecord["rto"] }, ctx: MoveContext): RunMove {
  return move(run, "completed", ctx, { patch: { rto: input.rto, control: undefined } });
}

/** Every step finished, some failed but were allowed to. */
export function completeWithExceptions(
  run: RunRecord,
  input: { rto: RunRecord["rto"]; exceptions: string[] },
  ctx: MoveContext,
): RunMove {
  return move(run, "completed_with_exceptions", ctx, {
    reason: `finished; failed but allowed to continue: ${input.exceptions.join(", ")}`,
    patch: { rto: input.rto, control: undefined },
  });
}

/** A step whose failure aborts the run failed; compensation has run. */
export function failRun(run: RunRecord, input: { reason: string }, ctx: MoveContext): RunMove {
  return move(run, "failed", ctx, { reason: input.reason, patch: { control: undefined } });
}

/**
 * The run as stored does not prove it may execute (src/domain/evidence/run-evidence.ts): its plan or
 * proofs were tampered with, or its approvals no longer add up. It is aborted before anything more
 * runs, with why; the executor announces it.
 */
export function refuseUnproven(
  run: RunRecord,
  input: { problem: "tampered" | "unapproved"; reasons: readonly string[] },
  ctx: MoveContext,
): RunMove {
  const what = input.problem === "tampered" ? "tampering" : "not approved as required";
  return move(run, "aborted", ctx, {
    reason: `refused, ${what}: ${input.reasons.join("; ")}`,
    patch: { control: undefined },
    data: { refused: input.problem, reasons: input.reasons },
  });
}
