import { describe, expect, it } from "vitest";
import { runDetailText, runListText } from "../../../src/slack/views/run-detail.js";
import { runRecord } from "../../support/run-fixtures.js";
import { completedFailover, event, minute, plan, T0 } from "../../support/show-fixture.js";

/**
 * `/dr show RUN` and `/dr runs` as a person reads them, one snapshot file each
 * (snapshots/show-*.txt, runs.txt): approvals with who and when, a skip with who and why, a
 * rejection with its words, and a timeline in words; never raw JSON.
 */
describe("/dr show", () => {
  it("tells a finished run: approvals with who and when, the skip with who and why, a timeline in words", async () => {
    const { run, steps, events } = completedFailover();
    const text = runDetailText(run, steps, events, T0 + 60 * minute);
    await expect(`${text}\n`).toMatchFileSnapshot("snapshots/show-completed-with-exceptions.txt");
    expect(text).toContain("• <@U0LEAD2> at <!date^");
    expect(text).toMatch(
      /\*Fence DC1's database\* skipped by <@U0LEAD2> at <!date\^[^>]+>: DC1 is powered off/,
    );
    expect(text).not.toMatch(/\{"|":/);
    expect(text).not.toContain("scaled payments-api to 3");
    // What the requester wrote is shown, never acted on: no channel-wide ping.
    expect(text).not.toContain("<!channel>");
  });

  it("tells a rejected request with the rejection's words and no approvals", async () => {
    const { run } = completedFailover();
    const rejected = runRecord({
      ...run,
      state: "rejected",
      stateReason: "rejected by U0LEAD2: wrong scope, payments only",
      approvals: [],
      decisions: [
        { userId: "U0LEAD2", at: T0 + 4 * minute, decision: "rejected", note: "wrong scope, payments only" },
      ],
      updatedAt: T0 + 4 * minute,
      rto: { requestedAt: T0 },
    });
    const events = [
      event(0, "U0ONCALL1", "run.requested", {
        runbook: "failover",
        reason: "DC1 down",
        planHash: plan.hash,
        required: 2,
      }),
      event(4, "U0LEAD2", "run.state", {
        from: "pending_approval",
        state: "rejected",
        reason: "rejected by U0LEAD2: wrong scope, payments only",
      }),
    ];
    const text = runDetailText(rejected, new Map(), events, T0 + 60 * minute);
    await expect(`${text}\n`).toMatchFileSnapshot("snapshots/show-rejected.txt");
    expect(text).toContain("• rejected by <@U0LEAD2> at <!date^");
    expect(text).toContain("*Approvals* 0/2\n• none yet");
    // A request that never started has no RTO to tell.
    expect(text).not.toContain("RTO");
  });

  it("points to the report when a run has more events than it shows", () => {
    const { run, steps } = completedFailover();
    const many = Array.from({ length: 40 }, (_, i) => event(i, "engine", "run.note", { i }));
    const text = runDetailText(run, steps, many, T0 + 60 * minute);
    expect(text).toContain(
      "_15 earlier events left out: `/dr report failover-1204-0300-abcdef` has them all_",
    );
  });
});

describe("/dr runs", () => {
  it("lists each run with its start, how long it took or has gone on, and how it ended", async () => {
    const { run } = completedFailover();
    const active = runRecord({
      id: "drill-1204-0340-fedcba",
      kind: "drill",
      mode: "drill",
      state: "running",
      requestedBy: "U0ONCALL1",
      createdAt: T0 + 40 * minute,
      updatedAt: T0 + 45 * minute,
    });
    const text = runListText([active, run], T0 + 52 * minute);
    await expect(`${text}\n`).toMatchFileSnapshot("snapshots/runs.txt");
    expect(text).toContain("going for 12m · *running*");
    expect(text).toContain("took 18m · *completed with exceptions*");
  });
});
