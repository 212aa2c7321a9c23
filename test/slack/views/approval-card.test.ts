import { describe, expect, it } from "vitest";
import { tierRpo } from "../../../src/domain/rpo.js";
import { initialStepRecords, type RunRecord, type StepRecord } from "../../../src/domain/run.js";
import { approvalCard, exposureText } from "../../../src/slack/views/approval-card.js";
import { progressMessage } from "../../../src/slack/views/progress-message.js";
import { testConfig } from "../../support/config-fixture.js";
import { plannedRun } from "../../support/planned-run.js";

const config = testConfig();
const now = Date.parse("2025-01-10T03:10:00Z");
const a1At = Date.parse("2025-01-10T03:04:05Z");
const a2At = Date.parse("2025-01-10T03:06:07Z");

function runWith(steps: unknown[], extra: Partial<RunRecord> = {}): RunRecord {
  return plannedRun(steps, {
    id: "failover-0110-0300-abcdef",
    expiresAt: now + 1_800_000,
    createdAt: now - 600_000,
    updatedAt: now,
    rto: { requestedAt: now - 600_000 },
    ...extra,
  });
}

const wait = { id: "wait", title: "Wait", kind: "wait", with: { duration: "1s" } };
const date = (ms: number) =>
  `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${new Date(ms).toISOString()}>`;

describe("the approval card", () => {
  it("shows each approval with its time, to the second, one approver a line", () => {
    const run = runWith([wait], {
      approvals: [
        { userId: "U0A1", at: a1At, planHash: "h" },
        { userId: "U0A2", at: a2At, planHash: "h", acceptedDataLoss: true },
      ],
    });
    const text = JSON.stringify(approvalCard(run, now).blocks);
    expect(text).toContain(
      `*Approvals*\\n2/2\\n• <@U0A1> at ${date(a1At)}\\n• <@U0A2> at ${date(a2At)} (accepted the data loss)`,
    );
  });

  it("keeps the times once the run is approved, in the decision line", () => {
    const run = runWith([wait], {
      state: "running",
      approvals: [
        { userId: "U0A1", at: a1At, planHash: "h" },
        { userId: "U0A2", at: a2At, planHash: "h" },
      ],
    });
    const text = JSON.stringify(approvalCard(run, now).blocks);
    expect(text).toContain(
      `*Approved* by <@U0A1> at ${date(a1At)}, <@U0A2> at ${date(a2At)}; the run is running`,
    );
  });
});

describe("data at risk", () => {
  it("says why an exposure is unknown, against the tier's own target", () => {
    const [tier1] = tierRpo(
      config,
      [
        {
          source: "pg",
          kind: "postgres",
          exposureMs: undefined,
          at: now,
          detail: "no answer within 2000 ms",
        },
      ],
      now,
    );
    expect(exposureText(tier1)).toBe(
      ":warning: tier1: UNKNOWN, treat as at risk: pg could not be read; an unknown amount of data at risk (target 15m, pg)\n• pg (data): unknown: no answer within 2000 ms",
    );
  });
});

describe("an approval gate on the progress message", () => {
  it("counts the approvers so far, with when they approved, beside the Approve button", () => {
    const gate = {
      id: "gate",
      title: "Traffic gate",
      kind: "approval",
      with: { required: 2, prompt: "Move traffic?" },
    };
    const run = runWith([gate], { state: "waiting_manual" });
    const steps = new Map<string, StepRecord>(
      initialStepRecords(run.plan).map((s) => [
        s.id,
        {
          ...s,
          status: "waiting",
          attempts: 1,
          attestations: [
            { item: "approve", userId: "U0A1", at: a1At },
            { item: "approve", userId: "U0A1", at: a2At },
          ],
        },
      ]),
    );
    const text = JSON.stringify(progressMessage(run, steps, now).blocks);
    expect(text).toContain(`Move traffic?\\n1/2 approvals\\n• <@U0A1> at ${date(a1At)}`);
    expect(text).not.toContain(date(a2At));
    expect(text).toContain(`"action_id":"dr:gate","value":"${run.id}|gate"`);
  });
});
