import { describe, expect, it } from "vitest";
import { renderTimelineSvg } from "../../../src/app/report/render-timeline-svg.js";
import { buildRunReport } from "../../../src/domain/run-report.js";
import { finishedDrill, planStep } from "../../support/report-fixtures.js";
import { stepRecord } from "../../support/run-fixtures.js";
import { readTimelinePicture } from "../../support/svg-picture.js";

const S = 1_000;

describe("the timeline picture", () => {
  const { run, records, events, diffs } = finishedDrill();
  const report = buildRunReport({ run, steps: records, events, diffs, now: run.createdAt + 200 * S });
  const picture = readTimelinePicture(renderTimelineSvg(report));

  it("draws one bar per step, named, with its duration", () => {
    expect(picture.steps.map((s) => [s.label, s.durationMs, s.durationText])).toEqual([
      ["Pre-test checklist", 8 * S, "8s"],
      ["Isolate DR", 1 * S, "1s"],
      ["Scale up on DR", 29 * S, "29s"],
      ["Before/after diff", 1 * S, "1s"],
      ["Nothing of this drill remains", 1 * S, "1s"],
    ]);
  });

  it("draws longer steps as longer bars, later steps further right", () => {
    const [checklist, isolate, scale] = picture.steps;
    expect(scale!.bar!.width).toBeGreaterThan(checklist!.bar!.width);
    expect(isolate!.bar!.x).toBeGreaterThan(checklist!.bar!.x);
  });

  it("marks the RTO budget off scale when the run used a sliver of it, and says how much", () => {
    expect(picture.rtoLine).toMatchObject({
      rtoMs: 2 * 3_600_000,
      offScale: true,
      label: "RTO 2h (off scale →)",
    });
    expect(picture.rtoLine.x).toBeGreaterThan(Math.max(...picture.steps.map((s) => s.bar!.x + s.bar!.width)));
    expect(picture.budgetLabel).toBe("RTO budget 2h: used 2m 40s (2.2%)");
    expect(picture.rtoPhases).toEqual([
      { phase: "decision", ms: 90 * S },
      { phase: "activation", ms: 31 * S },
      { phase: "waiting", ms: 8 * S },
      { phase: "validation", ms: 30 * S },
    ]);
  });

  it("puts the RTO line on the axis when the run came close to it", () => {
    const tight = { ...run, tierRtoMs: 150 * S };
    const p = readTimelinePicture(
      renderTimelineSvg(buildRunReport({ run: tight, steps: records, events, now: run.createdAt + 200 * S })),
    );
    expect(p.rtoLine.offScale).toBe(false);
    expect(p.rtoLine.label).toBe("RTO 2m 30s");
    // 150 s on an axis that runs to 160 s: the line falls before the last step's end.
    expect(p.rtoLine.x).toBeLessThan(p.steps.at(-1)!.bar!.x + p.steps.at(-1)!.bar!.width);
  });

  it("shows the runbook's phases behind the bars", () => {
    expect(picture.phases).toEqual(["pre-test", "capture", "failover", "validate", "failback"]);
  });

  it("escapes what it draws, so a step title cannot break the picture", () => {
    const hostile = {
      ...run,
      plan: { ...run.plan, steps: [planStep("x", { title: 'A <b>"bold"</b> & \u0007 step' })] },
    };
    const p = readTimelinePicture(
      renderTimelineSvg(buildRunReport({ run: hostile, steps: new Map(), events: [], now: run.createdAt })),
    );
    expect(p.steps[0]).toMatchObject({
      label: 'A <b>"bold"</b> &  step',
      status: "not_started",
      bar: undefined,
    });
  });

  it("draws one bar per runbook step when a run has too many steps to draw one each", () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      planStep(`scale-up.ns${i}`, { runbookStepId: "scale-up", title: "Scale up" }),
    );
    const at = run.createdAt;
    const steps = new Map(
      many.map((p, i) => [
        p.id,
        stepRecord(p.id, { status: "succeeded", startedAt: at + i * S, endedAt: at + (i + 2) * S }),
      ]),
    );
    const big = { ...run, plan: { ...run.plan, steps: many } };
    const p = readTimelinePicture(
      renderTimelineSvg(buildRunReport({ run: big, steps, events: [], now: at })),
    );
    expect(p.steps).toEqual([
      expect.objectContaining({
        id: "scale-up",
        label: "Scale up (×60)",
        durationMs: 61 * S,
        status: "succeeded",
      }),
    ]);
  });
});
