import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { buildRunReport } from "../../src/domain/run-report.js";
import { defineStepKind } from "../../src/engine/step-kind.js";
import { effect, engineHarness } from "../support/engine-harness.js";

/** Decides what its params say, like site.probe decides what the site answers. */
const decideKind = defineStepKind({
  kind: "test.decide",
  description: "Decides the outcome it is given.",
  params: z.object({ answer: z.enum(["yes", "no"]) }).strict(),
  siteParams: [],
  outcomes: ["yes", "no"],
  idempotent: true,
  summarize: (p) => `decide ${p.answer}`,
  execute: async (_ctx, p) => ({ status: "succeeded", outcome: p.answer, output: `decided ${p.answer}` }),
});

function harness() {
  return engineHarness({ store: new MemoryRunStore({ now: () => Date.now() }), extraKinds: [decideKind] });
}

const decide = (answer: "yes" | "no") => ({
  id: "decide",
  title: "Decide",
  kind: "test.decide",
  with: { answer },
});

describe("conditional steps in a run", () => {
  it("runs the path the deciding step chose, skips the other with its reason, and completes", async () => {
    const h = harness();
    const run = await h.createApprovedRun([
      decide("no"),
      effect("planned", { when: { step: "decide", is: "yes" } }),
      effect("emergency", { when: { step: "decide", is: "no" } }),
      effect("both"),
    ]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    expect(h.ledger.entries).toEqual(["emergency", "both"]);
    const steps = await h.store.getSteps(run.id);
    expect(steps.get("decide")).toMatchObject({ status: "succeeded", outcome: "no" });
    expect(steps.get("planned")).toMatchObject({
      status: "skipped",
      resolvedBy: "condition",
      skipReason: "runs only when decide decides yes; it decided no",
    });
    const events = await h.store.readEvents(run.id);
    expect(events.find((e) => e.stepId === "planned" && e.data.status === "skipped")?.data).toMatchObject({
      skipReason: "runs only when decide decides yes; it decided no",
    });
  });

  it("shows the decision and the skipped path in the run's report", async () => {
    const h = harness();
    const run = await h.createApprovedRun([
      decide("yes"),
      effect("planned", { when: { step: "decide", is: "yes" } }),
      effect("emergency", { when: { step: "decide", is: "no" } }),
    ]);
    await h.engine.drive(run.id);
    const report = buildRunReport({
      run: (await h.store.getRun(run.id))!,
      steps: await h.store.getSteps(run.id),
      events: await h.store.readEvents(run.id),
      now: Date.now(),
    });
    expect(report.outcome).toMatch(/^completed/);
    expect(report.failures).toEqual([]);
    expect(report.steps.find((s) => s.id === "decide")).toMatchObject({ outcome: "yes" });
    expect(report.steps.find((s) => s.id === "emergency")).toMatchObject({
      status: "skipped",
      skipReason: "runs only when decide decides no; it decided yes",
    });
  });
});
