import { describe, expect, it } from "vitest";
import type { DrError } from "../../../src/domain/errors.js";
import type { Actor } from "../../../src/domain/permissions.js";
import { keptRound } from "../../../src/domain/readiness/kept-round.js";
import type { ReadinessFinding } from "../../../src/domain/readiness/readiness.js";
import { type RunReadiness, runReadiness } from "../../../src/domain/readiness/run-readiness.js";
import type { RunRecord } from "../../../src/domain/run.js";
import { type ApproveInput, approveRun } from "../../../src/domain/run-state/decide.js";
import { isRefused, type RunChange } from "../../../src/domain/run-state/run-change.js";
import { readinessRound } from "../../support/readiness-fixture.js";
import { runRecord } from "../../support/run-fixtures.js";

const approver = (userId: string): Actor => ({ userId, requester: false, approver: true });
const readAt = Date.parse("2025-01-10T03:00:00Z");

function readiness(payments?: ReadinessFinding[]): RunReadiness {
  return runReadiness(keptRound(readinessRound(readAt, payments ? { payments } : {}), readAt, 300_000), [
    "payments",
  ]);
}

function pending(overrides: Partial<RunRecord> = {}): RunRecord {
  return runRecord({ expiresAt: 1_000_000, createdAt: 0, readiness: readiness(), ...overrides });
}

function approval(run: RunRecord, actor: Actor, extra: Partial<ApproveInput> & { now?: number } = {}) {
  const { now = 10, ...input } = extra;
  return approveRun(
    run,
    { actor, planHash: run.plan.hash, replan: () => run.plan, expiryMs: 1000, ...input },
    now,
  );
}

function accepted(move: ReturnType<typeof approveRun>): RunChange {
  if (isRefused(move)) throw new Error(`refused: ${move.code} ${move.message}`);
  return move;
}

describe("approving a real run whose scope is not ready", () => {
  it("is refused without explicit acceptance, saying what is not ready and how to accept it", () => {
    const refused = approval(pending(), approver("U0A1"));
    expect(refused).toMatchObject({ code: "not_ready_not_accepted" });
    expect((refused as DrError).message).toBe(
      "the DR site is not ready to serve this scope (payments drift: image payments-api: ghcr.io/acme/payments:1.4.2 on dc1, 1.4.1 on dc2), and an approval must accept that explicitly",
    );
  });

  it("records each approver's acceptance with the approval and in the audit event", () => {
    const first = accepted(approval(pending(), approver("U0A1"), { acceptsNotReady: true, now: 5 }));
    expect(first.run.approvals).toEqual([
      { userId: "U0A1", at: 5, planHash: first.run.plan.hash, acceptedNotReady: true },
    ]);
    expect(first.events[0]?.data).toMatchObject({ acceptedNotReady: true });
    const second = accepted(
      approval(first.run, approver("U0A2"), { acceptsNotReady: true, freshReadiness: readiness() }),
    );
    expect(second.run.state).toBe("approved");
  });

  it("needs no acceptance for a drill of the same scope", () => {
    const drill = pending({ kind: "drill", mode: "drill" });
    expect(accepted(approval(drill, approver("U0A1"))).run.approvals[0]?.acceptedNotReady).toBeUndefined();
  });

  it("voids the approvals when the scope turned not ready since the request", () => {
    const run = pending({
      readiness: readiness([]),
      approvals: [{ userId: "U0A1", at: 1, planHash: runRecord().plan.hash }],
    });
    const change = accepted(approval(run, approver("U0A2"), { freshReadiness: readiness() }));
    expect(change.run.state).toBe("pending_approval");
    expect(change.run.approvals).toEqual([]);
    expect(change.run.readiness).toEqual(readiness());
    expect(change.run.stateReason).toBe(
      "approvals voided: the readiness changed: the scope is now not ready (payments drift: image payments-api: ghcr.io/acme/payments:1.4.2 on dc1, 1.4.1 on dc2) and nobody accepted that",
    );
  });

  it("approves when the same findings are read again at the last approval", () => {
    const run = pending({
      approvals: [{ userId: "U0A1", at: 1, planHash: runRecord().plan.hash, acceptedNotReady: true }],
    });
    const again = { ...readiness(), readAt: readAt + 300_000 } as RunReadiness;
    const change = accepted(
      approval(run, approver("U0A2"), { acceptsNotReady: true, freshReadiness: again }),
    );
    expect(change.run.state).toBe("approved");
  });
});
