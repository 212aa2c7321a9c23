import { DrError } from "../errors.js";
import type { Attestation, RunEvent, RunRecord, StepRecord } from "../run.js";
import { canTransition, type RunState } from "./states.js";

/** A step record written with a move (by a person: no execution lease), with its event. */
export interface StepWrite {
  record: StepRecord;
  event: RunEvent;
}

/** An attestation (a tick, a skip) recorded with a move, with its event. */
export interface AttestationWrite {
  stepId: string;
  attestation: Attestation;
  event: RunEvent;
}

/**
 * What a move decided. `run` is the run's next content (the writer stamps `version` and `updatedAt`
 * when it compare-and-sets it); `events` record it, the first written atomically with the run, the
 * others appended after it. `attestations` and `steps` are written just before the run.
 */
export interface RunChange {
  run: RunRecord;
  events: RunEvent[];
  steps?: StepWrite[];
  attestations?: AttestationWrite[];
  /** Attestation moves (ticks): the run is written only when an attestation was new. */
  onlyIfAttested?: boolean;
  /** Written, then refused: the person gets this error and the run keeps what was written (a reason). */
  refusal?: DrError;
}

/** Every move of the state machine: `(run, input, now)` to a change, or the refusal and its code. */
export type RunMove = RunChange | DrError;

export function isRefused(move: RunMove): move is DrError {
  return move instanceof DrError;
}

/** Who makes the move (a Slack user id, `drbot`, or `engine:<owner>`) and when. */
export interface MoveContext {
  actor: string;
  now: number;
}

export function runEvent(
  run: Pick<RunRecord, "id">,
  ctx: MoveContext,
  type: RunEvent["type"],
  data: Record<string, unknown>,
  stepId?: string,
): RunEvent {
  return { type, at: ctx.now, actor: ctx.actor, runId: run.id, ...(stepId ? { stepId } : {}), data };
}

export interface Entry {
  /** Why the run is in its new state, for people (`stateReason`); cleared when absent. */
  reason?: string;
  /** Other fields that change with the state (decisions, control, RTO times). */
  patch?: Partial<Omit<RunRecord, "state" | "stateReason">>;
  type?: RunEvent["type"];
  /** The event's data beside `state`, `from` and `reason`. */
  data?: Record<string, unknown>;
}

/** Moves `run` into `to` when the transition table allows it; otherwise refuses with `invalid_state`. */
export function enter(run: RunRecord, to: RunState, ctx: MoveContext, entry: Entry = {}): RunMove {
  if (!canTransition(run.state, to))
    return new DrError("invalid_state", `run ${run.id} is ${run.state}; it cannot become ${to}`, {
      state: run.state,
      to,
    });
  const next: RunRecord = { ...run, ...entry.patch, state: to, stateReason: entry.reason };
  const data = {
    state: to,
    from: run.state,
    ...(entry.reason ? { reason: entry.reason } : {}),
    ...entry.data,
  };
  return { run: next, events: [runEvent(run, ctx, entry.type ?? "run.state", data)] };
}

/** A change that leaves the state as it is (an approval counted, a control request, a note). */
export function note(
  run: RunRecord,
  ctx: MoveContext,
  patch: Partial<Omit<RunRecord, "state">>,
  type: RunEvent["type"],
  data: Record<string, unknown>,
): RunChange {
  return { run: { ...run, ...patch }, events: [runEvent(run, ctx, type, data)] };
}
