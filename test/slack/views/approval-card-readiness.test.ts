import { describe, expect, it } from "vitest";
import { dataLossKey } from "../../../src/domain/data-loss.js";
import { keptRound } from "../../../src/domain/readiness/kept-round.js";
import type { ReadinessFinding } from "../../../src/domain/readiness/readiness.js";
import { readinessKey, runReadiness } from "../../../src/domain/readiness/run-readiness.js";
import type { RunRecord } from "../../../src/domain/run.js";
import { parseApproveValue } from "../../../src/domain/slack-actions.js";
import { validateBlocks } from "../../../src/emulator/block-kit-validation.js";
import { approvalCard } from "../../../src/slack/views/approval-card.js";
import type { Block, Button } from "../../../src/slack/views/block-kit.js";
import { plannedRun } from "../../support/planned-run.js";
import { driftFinding, readinessRound } from "../../support/readiness-fixture.js";

const now = Date.parse("2025-01-10T03:10:00Z");
const wait = { id: "wait", title: "Wait", kind: "wait", with: { duration: "1s" } };

function run(extra: Partial<RunRecord> = {}, findings?: ReadinessFinding[]): RunRecord {
  const round = readinessRound(now - 120_000, findings ? { payments: findings } : {});
  return plannedRun([wait], {
    id: "failover-0110-0300-abcdef",
    expiresAt: now + 1_800_000,
    createdAt: now - 60_000,
    readiness: runReadiness(keptRound(round, now, 300_000), ["payments"]),
    ...extra,
  });
}

function approveButton(blocks: Block[]): Button {
  const row = blocks.find((b) => b.type === "actions") as { elements: Button[] } | undefined;
  return row!.elements[0]!;
}

describe("readiness on the approval card", () => {
  it("lists the not-ready findings with what to do above the buttons, within Slack's limits", () => {
    const { blocks } = approvalCard(run(), now);
    expect(validateBlocks(blocks)).toEqual([]);
    const at = blocks.findIndex((b) => JSON.stringify(b).includes("*DR readiness*"));
    // The last block before the tail: the context line saying what Approve approves, then the buttons.
    expect(blocks.slice(at + 1).map((b) => b.type)).toEqual(["context", "actions"]);
    expect(JSON.stringify(blocks[at + 1])).toContain("as shown, accepting the not-ready readiness above:");
    const text = JSON.stringify(blocks[at]);
    expect(text).toContain(
      ":rotating_light: *The DR site is not ready to serve this scope.* Each approver must accept that explicitly.",
    );
    expect(text).toContain("*DR readiness*: :red_circle: not ready (round of <!date^");
    expect(text).toContain(
      "• :red_circle: payments drift: image payments-api: ghcr.io/acme/payments:1.4.2 on dc1, 1.4.1 on dc2",
    );
    expect(text).toContain("    → deploy ghcr.io/acme/payments:1.4.2 to dc2 (production/payments-api)");
  });

  it("asks for explicit acceptance of a real failover whose scope is not ready, naming the reading", () => {
    const r = run();
    const button = approveButton(approvalCard(r, now).blocks);
    expect(button.text.text).toBe("Approve, accepting not ready");
    expect(button.style).toBe("danger");
    expect(parseApproveValue(button.value ?? "")).toEqual({
      runId: r.id,
      planHash: r.plan.hash,
      acceptsNotReady: readinessKey(r.readiness!),
    });
    expect(button.confirm).toBeUndefined();
  });

  it("asks for both acceptances on one button when the run also loses data", () => {
    const rpoRisk = { targetMs: 900_000, tier: "tier1", exposureMs: 7_200_000, source: "pg", unknown: [] };
    const r = run({ rpoRisk });
    const { blocks } = approvalCard(r, now);
    expect(validateBlocks(blocks)).toEqual([]);
    const button = approveButton(blocks);
    expect(button.text.text).toBe("Approve, accepting data loss and not ready");
    expect(parseApproveValue(button.value ?? "")).toEqual({
      runId: r.id,
      planHash: r.plan.hash,
      acceptsDataLoss: dataLossKey(rpoRisk),
      acceptsNotReady: readinessKey(r.readiness!),
    });
  });

  it("shows a drill's findings but asks for no acceptance", () => {
    const r = run({ kind: "drill", mode: "drill" });
    const { blocks } = approvalCard(r, now);
    const text = JSON.stringify(blocks);
    expect(text).toContain("not ready (round of <!date^");
    expect(text).toContain("; a drill needs no acceptance)");
    expect(text).not.toContain("Each approver must accept");
    expect(approveButton(blocks).text.text).toBe("Approve");
    expect(parseApproveValue(approveButton(blocks).value ?? "").acceptsNotReady).toBeUndefined();
  });

  it("lists degraded findings without asking for acceptance", () => {
    const degraded: ReadinessFinding = { ...driftFinding, verdict: "degraded" };
    const { blocks } = approvalCard(run({}, [degraded]), now);
    expect(JSON.stringify(blocks)).toContain("*DR readiness*: :large_yellow_circle: degraded");
    expect(approveButton(blocks).text.text).toBe("Approve");
  });

  it("caps the findings it lists and stays valid Block Kit with many long ones", () => {
    const many: ReadinessFinding[] = Array.from({ length: 40 }, (_, i) => ({
      ...driftFinding,
      check: i % 2 ? "drift" : "data",
      summary: `finding ${i} ${"x".repeat(400)} <!channel> *bold*`,
      action: `do ${i} ${"y".repeat(400)}`,
    }));
    const { blocks } = approvalCard(run({}, many), now);
    expect(validateBlocks(blocks)).toEqual([]);
    const text = JSON.stringify(blocks);
    expect(text).toMatch(/… and \d+ more: `\/dr status payments`/);
    expect(text).not.toContain("<!channel>");
  });

  it("says when readiness could not be read for the request", () => {
    const { blocks } = approvalCard(
      run({ readiness: { read: false, detail: "could not be read: no answer within 2000 ms" } }),
      now,
    );
    expect(JSON.stringify(blocks)).toContain(
      "*DR readiness*: :warning: could not be read: no answer within 2000 ms",
    );
    expect(approveButton(blocks).text.text).toBe("Approve");
  });

  it("shows who accepted the not-ready readiness beside their approval", () => {
    const r = run({
      approvals: [{ userId: "U0A1", at: now - 5_000, planHash: "h", acceptedNotReady: true }],
    });
    expect(JSON.stringify(approvalCard(r, now).blocks)).toMatch(
      /• <@U0A1> at <!date\^[^>]+> \(accepted not ready\)/,
    );
  });
});
