/**
 * The run lifecycle of PRODUCT.md section 4 and its one transition table. Every function that moves a
 * run from one state to another lives in this folder and is checked against TRANSITIONS; nothing
 * else in src/ writes a run's `state` (test/domain/run-state/only-the-state-machine-writes-state.test.ts).
 */
export const RUN_STATES = [
  "pending_approval",
  "approved",
  "running",
  "waiting_manual",
  "paused_failed_step",
  "paused_by_operator",
  "interrupted",
  "completed",
  "completed_with_exceptions",
  "failed",
  "aborted",
  "rejected",
  "expired",
] as const;
export type RunState = (typeof RUN_STATES)[number];

/** States a new request can start in: waiting for approvals, or approved when none are required. */
export const INITIAL_STATES = ["pending_approval", "approved"] as const satisfies readonly RunState[];

/**
 * Allowed transitions. Anything else is a bug or a stale request, refused with `invalid_state`.
 * `interrupted` is entered when an executor takes over a run whose previous owner died mid-step.
 * A state with nothing to go to is terminal.
 */
export const TRANSITIONS: Readonly<Record<RunState, readonly RunState[]>> = {
  pending_approval: ["approved", "rejected", "expired", "aborted"],
  approved: ["running", "aborted"],
  running: [
    "waiting_manual",
    "paused_failed_step",
    "paused_by_operator",
    "interrupted",
    "completed",
    "completed_with_exceptions",
    "failed",
    "aborted",
  ],
  waiting_manual: ["running", "paused_by_operator", "interrupted", "aborted"],
  paused_failed_step: ["running", "aborted"],
  paused_by_operator: ["running", "aborted"],
  interrupted: ["running", "paused_failed_step", "aborted"],
  completed: [],
  completed_with_exceptions: [],
  failed: [],
  aborted: [],
  rejected: [],
  expired: [],
};

export function canTransition(from: RunState, to: RunState): boolean {
  return TRANSITIONS[from].includes(to);
}

export const TERMINAL_STATES: ReadonlySet<RunState> = new Set(
  RUN_STATES.filter((state) => TRANSITIONS[state].length === 0),
);

export function isTerminal(state: RunState): boolean {
  return TERMINAL_STATES.has(state);
}

/**
 * States in which an executor is driving the run forward. One with no live lease holder is taken
 * over by the supervisor of any drbot process.
 */
export const EXECUTING_STATES: ReadonlySet<RunState> = new Set(["approved", "running", "interrupted"]);

/**
 * States an executor may hold: the executing ones, and `waiting_manual`, parked until a person ticks
 * (the tick drives it again; the supervisor leaves it parked). An operator's abort or pause of a run
 * in one of these is a request to its executor, which acts on it within a second.
 */
export const DRIVABLE_STATES: ReadonlySet<RunState> = new Set([...EXECUTING_STATES, "waiting_manual"]);

export function isExecuting(state: RunState): boolean {
  return EXECUTING_STATES.has(state);
}

export function isDrivable(state: RunState): boolean {
  return DRIVABLE_STATES.has(state);
}

/** States a person can resume or skip out of. */
export const PAUSED_STATES: ReadonlySet<RunState> = new Set(["paused_failed_step", "paused_by_operator"]);
