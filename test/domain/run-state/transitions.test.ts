import { describe, expect, it } from "vitest";
import { APPROVAL_GATE_ITEM } from "../../../src/domain/approval-gate.js";
import { DrError } from "../../../src/domain/errors.js";
import type { Actor } from "../../../src/domain/permissions.js";
import type { RunRecord, StepRecord } from "../../../src/domain/run.js";
import { abortRun, pauseRun, resumeRun } from "../../../src/domain/run-state/control.js";
import { approveRun, rejectRun } from "../../../src/domain/run-state/decide.js";
import {
  abortByOperator,
  completeRun,
  completeWithExceptions,
  continueAfterManualStep,
  failRun,
  finishReobserving,
  pauseByOperator,
  pauseOnFailedStep,
  startRun,
  takeOverRun,
  waitForPerson,
} from "../../../src/domain/run-state/execute.js";
import { expireRun, openRun } from "../../../src/domain/run-state/request.js";
import { isRefused, type RunMove } from "../../../src/domain/run-state/run-change.js";
import {
  canTransition,
  DRIVABLE_STATES,
  EXECUTING_STATES,
  INITIAL_STATES,
  RUN_STATES,
  type RunState,
  TERMINAL_STATES,
  TRANSITIONS,
} from "../../../src/domain/run-state/states.js";
import { skipStep, tickStep } from "../../../src/domain/run-state/steps.js";
import { runRecord, stepRecord } from "../../support/run-fixtures.js";

const NOW = 1_700_000_100_000;
const engine = { actor: "engine:test", now: NOW };
const approver: Actor = { userId: "U0A2", requester: false, approver: true };
const control = { userId: "U0A2", at: NOW - 1 };

/** A run in `state` with one approval of two, a checklist and a gate waiting, and a failed step. */
function runIn(state: RunState): RunRecord {
  const base = runRecord({ state, createdAt: NOW - 60_000, expiresAt: NOW + 60_000 });
  const step = (id: string, kind: string, params: Record<string, unknown>) => ({
    id,
    runbookStepId: id,
    phase: "main",
    rtoPhase: "activation" as const,
    title: id,
    kind,
    params,
    timeoutMs: 1000,
    retries: 0,
    retryDelayMs: 0,
    onFailure: "pause" as const,
    needs: [],
    summary: id,
  });
  return {
    ...base,
    approvals: [{ userId: "U0A1", at: NOW - 10, planHash: base.plan.hash }],
    plan: {
      ...base.plan,
      steps: [
        step("check", "checklist", { items: ["backups verified"] }),
        step("gate", "approval", { required: 1 }),
        step("scale", "k8s.scale", {}),
      ],
    },
  };
}

const steps: ReadonlyMap<string, StepRecord> = new Map([
  ["check", stepRecord("check", { status: "waiting", attempts: 1 })],
  ["gate", stepRecord("gate", { status: "waiting", attempts: 1 })],
  ["scale", stepRecord("scale", { status: "failed", attempts: 1, error: "503" })],
]);

/**
 * Every move of the state machine, with valid input: the person may do it, the step exists and is
 * in a state the move accepts. What the state alone decides is then the whole outcome.
 */
const MOVES: Record<string, (run: RunRecord) => RunMove> = {
  "approve (one of several)": (run) =>
    approveRun(
      { ...run, requiredApprovals: 3 },
      { actor: approver, planHash: run.plan.hash, replan: () => run.plan, expiryMs: 1000 },
      NOW,
    ),
  "approve (the last one)": (run) =>
    approveRun(
      run,
      { actor: approver, planHash: run.plan.hash, replan: () => run.plan, expiryMs: 1000 },
      NOW,
    ),
  reject: (run) => rejectRun(run, { actor: approver }, NOW),
  abort: (run) => abortRun(run, { actor: approver, note: "primary is back" }, NOW),
  pause: (run) => pauseRun(run, { actor: approver }, NOW),
  resume: (run) => resumeRun(run, { actor: approver, steps }, NOW),
  "skip a failed step": (run) =>
    skipStep(run, { actor: approver, stepId: "scale", steps, reason: "checked by hand" }, NOW),
  "tick a checklist item": (run) =>
    tickStep(run, { actor: approver, stepId: "check", item: "backups verified", steps }, NOW),
  "approve an in-run gate": (run) =>
    tickStep(run, { actor: approver, stepId: "gate", item: APPROVAL_GATE_ITEM, steps }, NOW),
  "expire (past its expiry)": (run) => expireRun(run, run.expiresAt),
  "take over": (run) => takeOverRun(run, { owner: "test", inFlight: ["scale"] }, engine),
  start: (run) => startRun(run, engine),
  "finish re-observing": (run) => finishReobserving(run, engine),
  "continue after a manual step": (run) => continueAfterManualStep(run, engine),
  "wait for a person": (run) => waitForPerson(run, { waitingOn: ["check"] }, engine),
  "pause on a failed step": (run) => pauseOnFailedStep(run, { reason: "scale failed: 503" }, engine),
  "pause by operator": (run) => pauseByOperator(run, { control: { action: "pause", ...control } }, engine),
  complete: (run) => completeRun(run, { rto: run.rto }, engine),
  "complete with exceptions": (run) =>
    completeWithExceptions(run, { rto: run.rto, exceptions: ["scale"] }, engine),
  fail: (run) => failRun(run, { reason: "scale failed: 503" }, engine),
  "abort by operator": (run) => abortByOperator(run, { control: { action: "abort", ...control } }, engine),
};

// Columns, in RUN_STATES order: pending_approval, approved, running, waiting_manual, paused_failed_step,
// paused_by_operator, interrupted, completed, completed_with_exceptions, failed, aborted, rejected, expired.
// A cell is the state the run moves to, "=" for a change that keeps the state (an approval counted, an
// operator's request to the executor, a tick), or the code of the refusal.
const decided = "already_decided";
const invalid = "invalid_state";
const expired = "approval_expired";
const ENDED = [decided, decided, decided, decided, decided, decided];
const NO = (n: number) => Array<string>(n).fill(invalid);
const EXPECTED: Record<keyof typeof MOVES, string[]> = {
  "approve (one of several)": [
    "=",
    decided,
    decided,
    decided,
    decided,
    decided,
    decided,
    ...ENDED.slice(1),
    expired,
  ],
  "approve (the last one)": [
    "approved",
    decided,
    decided,
    decided,
    decided,
    decided,
    decided,
    ...ENDED.slice(1),
    expired,
  ],
  reject: ["rejected", decided, decided, decided, decided, decided, decided, ...ENDED.slice(1), expired],
  abort: ["aborted", "=", "=", "running", "aborted", "aborted", "=", ...ENDED],
  pause: [invalid, invalid, "=", "=", ...NO(9)],
  resume: [...NO(4), "running", "running", ...NO(7)],
  // Never before the run starts: skipping is not approving.
  "skip a failed step": [invalid, invalid, "=", "=", "running", "running", "=", ...ENDED],
  "tick a checklist item": ["=", "=", "=", "=", "=", "=", "=", ...ENDED],
  "approve an in-run gate": ["=", "=", "=", "=", "=", "=", "=", ...ENDED],
  "expire (past its expiry)": ["expired", ...ENDED, ...ENDED],
  "take over": [invalid, invalid, "interrupted", "interrupted", ...NO(9)],
  start: [invalid, "running", ...NO(11)],
  "finish re-observing": [...NO(6), "running", ...NO(6)],
  "continue after a manual step": [...NO(3), "running", ...NO(9)],
  "wait for a person": [...NO(2), "waiting_manual", ...NO(10)],
  "pause on a failed step": [...NO(2), "paused_failed_step", ...NO(3), "paused_failed_step", ...NO(6)],
  "pause by operator": [...NO(2), "paused_by_operator", "paused_by_operator", ...NO(9)],
  complete: [...NO(2), "completed", ...NO(10)],
  "complete with exceptions": [...NO(2), "completed_with_exceptions", ...NO(10)],
  fail: [...NO(2), "failed", ...NO(10)],
  "abort by operator": [invalid, "aborted", "aborted", "aborted", invalid, invalid, "aborted", ...NO(6)],
};

function outcome(move: RunMove, from: RunState): string {
  if (isRefused(move)) return move.code;
  if (move.refusal) return `${move.refusal.code} (written)`;
  return move.run.state === from ? "=" : move.run.state;
}

const cells = Object.entries(MOVES).flatMap(([action, move]) =>
  RUN_STATES.map((state, column) => ({ action, state, move, expected: EXPECTED[action]?.[column] })),
);

describe("the run state machine, every move from every state", () => {
  it("has an expected outcome for every state x move pair", () => {
    for (const [action, row] of Object.entries(EXPECTED)) expect([action, row.length]).toEqual([action, 13]);
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(MOVES).sort());
  });

  it.each(cells)("$action from $state: $expected", ({ state, move, expected }) => {
    const result = move(runIn(state));
    expect(outcome(result, state)).toBe(expected);
    if (isRefused(result)) {
      expect(result).toBeInstanceOf(DrError);
      expect(result.message.length).toBeGreaterThan(10);
    } else {
      // Whatever it changed, a move records it in an event made by the one who moved, at that time.
      expect(result.events.length).toBeGreaterThan(0);
      for (const event of result.events) expect(event.at).toBe(result.events[0]?.at);
    }
  });

  it("moves a run only along the transition table", () => {
    for (const { state, move } of cells) {
      const result = move(runIn(state));
      if (isRefused(result) || result.run.state === state) continue;
      expect(canTransition(state, result.run.state), `${state} → ${result.run.state}`).toBe(true);
    }
  });

  it("takes every transition of the table by some move, so the table has no dead entry", () => {
    const taken = new Set<string>();
    for (const { state, move } of cells) {
      const result = move(runIn(state));
      if (!isRefused(result) && result.run.state !== state) taken.add(`${state} → ${result.run.state}`);
    }
    const table = RUN_STATES.flatMap((from) => TRANSITIONS[from].map((to) => `${from} → ${to}`));
    expect([...taken].sort()).toEqual(table.sort());
  });

  it("opens a request waiting for approvals, or approved when none are required", () => {
    const draft = (requiredApprovals: number) => {
      const { state: _state, stateReason: _reason, ...rest } = runRecord({ requiredApprovals });
      return rest;
    };
    const waiting = openRun(draft(2), { actor: "U0ONCALL", now: NOW });
    const approved = openRun(draft(0), { actor: "drbot", now: NOW });
    expect([waiting.run.state, approved.run.state]).toEqual(["pending_approval", "approved"]);
    expect(INITIAL_STATES).toEqual(["pending_approval", "approved"]);
    expect(approved.run.rto.approvedAt).toBe(NOW);
    expect(waiting.events).toEqual([expect.objectContaining({ type: "run.requested", actor: "U0ONCALL" })]);
  });

  it("defines terminal, executing and drivable states once, from the table", () => {
    expect([...TERMINAL_STATES]).toEqual(RUN_STATES.filter((s) => TRANSITIONS[s].length === 0));
    expect([...EXECUTING_STATES]).toEqual(["approved", "running", "interrupted"]);
    expect([...DRIVABLE_STATES]).toEqual(["approved", "running", "interrupted", "waiting_manual"]);
  });
});
