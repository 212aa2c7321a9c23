import { describe, expect, it } from "vitest";
import type { StepRecord } from "../../../src/domain/run.js";
import { stepReply } from "../../../src/slack/views/step-reply.js";
import { plannedRun } from "../../support/planned-run.js";

/**
 * People and times in a run's thread as each reader sees them: a mention Slack turns into the
 * person's name, a date Slack writes in the reader's own zone (the UTC text is only the fallback),
 * never a raw user ID or a bare UTC timestamp.
 */
const at = Date.parse("2026-12-04T03:01:35Z");
const run = plannedRun([
  {
    id: "pre-test",
    title: "Pre-test checklist",
    kind: "checklist",
    with: { items: ["Stakeholders notified", "DR cluster ready"] },
  },
  {
    id: "scale-up",
    title: "Scale up",
    kind: "k8s.scale",
    with: { site: "dc2", namespace: "production", name: "payments-api", replicas: 3 },
  },
]);
const [checklist, scale] = run.plan.steps;

const json = (value: unknown) => JSON.stringify(value);

describe("a step's reply in the run's thread", () => {
  it("names who ticked each item with a mention and the time in the reader's zone, in place of the raw output", () => {
    const record: StepRecord = {
      id: checklist!.id,
      status: "succeeded",
      attempts: 1,
      startedAt: at - 60_000,
      endedAt: at + 5_000,
      output: `✓ Stakeholders notified: U0ONCALL1 at ${new Date(at).toISOString()}`,
      attestations: [
        { item: "Stakeholders notified", userId: "U0ONCALL1", at },
        { item: "DR cluster ready", userId: "U0LEAD2", at: at + 5_000 },
      ],
    };
    const text = json(stepReply(checklist!, record).blocks);
    expect(text).toContain(
      "✓ Stakeholders notified: <@U0ONCALL1> at <!date^1796353295^{date_short_pretty} {time_secs}|2026-12-04T03:01:35.000Z>",
    );
    expect(text).toContain("✓ DR cluster ready: <@U0LEAD2> at <!date^1796353300^");
    expect(text).toContain("succeeded in 1m 5s");
    expect(text).not.toContain("U0ONCALL1 at 2026");
  });

  it("names who skipped a step with a mention", () => {
    const record: StepRecord = {
      id: scale!.id,
      status: "skipped",
      attempts: 1,
      resolvedBy: "operator",
      skipped: { by: "U0LEAD2", at, reason: "scaled by hand" },
    };
    expect(json(stepReply(scale!, record).blocks)).toContain("skipped by <@U0LEAD2>: scaled by hand");
  });
});
