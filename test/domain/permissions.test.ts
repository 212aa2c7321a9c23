import { describe, expect, it } from "vitest";
import { type Actor, isListed, type RunAction, refusePermission } from "../../src/domain/permissions.js";
import { runRecord } from "../support/run-fixtures.js";

const requester: Actor = { userId: "U0ONCALL", requester: true, approver: false };
const requesterApprover: Actor = { userId: "U0ONCALL", requester: true, approver: true };
const approver: Actor = { userId: "U0A1", requester: false, approver: true };
const stranger: Actor = { userId: "U0X", requester: false, approver: false };
const scheduler: Actor = { userId: "drbot", requester: false, approver: false, scheduler: true };

const failover = runRecord({ requestedBy: "U0ONCALL", kind: "failover", mode: "real" });
const drill = runRecord({ requestedBy: "U0ONCALL", kind: "drill", mode: "drill" });
const verify = runRecord({ requestedBy: "drbot", kind: "verify", mode: "real" });

const verdict = (action: RunAction, actor: Actor, run = failover) =>
  refusePermission(action, actor, run)?.code ?? "allowed";

describe("who may do what to a run", () => {
  // Columns: the run's requester, its requester listed as an approver too, an approver, a stranger.
  const TABLE: Record<RunAction, string[]> = {
    request: ["allowed", "allowed", "not_permitted", "not_permitted"],
    approve: ["self_approval", "self_approval", "allowed", "not_eligible"],
    reject: ["allowed", "allowed", "allowed", "not_eligible"],
    abort: ["allowed", "allowed", "allowed", "not_permitted"],
    pause: ["allowed", "allowed", "allowed", "not_permitted"],
    tick_checklist: ["allowed", "allowed", "allowed", "not_permitted"],
    resume: ["self_approval", "self_approval", "allowed", "not_permitted"],
    skip: ["self_approval", "self_approval", "allowed", "not_permitted"],
    approve_gate: ["self_approval", "self_approval", "allowed", "not_eligible"],
  };

  it.each(Object.entries(TABLE))("%s on a real failover: %j", (action, row) => {
    const actors = [requester, requesterApprover, approver, stranger];
    expect(actors.map((a) => verdict(action as RunAction, a))).toEqual(row);
  });

  it("refuses the requester of a drill its resume and skip too: a second person decides", () => {
    expect([verdict("resume", requester, drill), verdict("skip", requester, drill)]).toEqual([
      "self_approval",
      "self_approval",
    ]);
    expect(verdict("resume", stranger, drill)).toBe("not_permitted");
    expect(verdict("resume", approver, drill)).toBe("allowed");
  });

  it("lets drbot itself request only the calendar's backup verifications", () => {
    expect(verdict("request", scheduler, verify)).toBe("allowed");
    expect(verdict("request", scheduler, failover)).toBe("not_permitted");
  });

  it("says what the person may not do", () => {
    expect(refusePermission("abort", stranger, failover)?.message).toBe("you may not abort this run");
    expect(refusePermission("resume", stranger, failover)?.message).toBe(
      "only failover approvers may resume or skip steps of this run",
    );
  });

  it("denies by default: empty lists mean nobody", () => {
    expect(isListed({ users: [], groups: [] }, "U0A1", ["S0CMD"])).toBe(false);
    expect(isListed({ users: [], groups: ["S0CMD"] }, "U0X", ["S0CMD"])).toBe(true);
    expect(isListed({ users: ["U0A1"], groups: [] }, "U0A1", [])).toBe(true);
  });
});
