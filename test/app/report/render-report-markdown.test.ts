import { describe, expect, it } from "vitest";
import { renderReportMarkdown } from "../../../src/app/report/render-report-markdown.js";
import { buildRunReport } from "../../../src/domain/run-report.js";
import { finishedDrill } from "../../support/report-fixtures.js";
import { stepRecord } from "../../support/run-fixtures.js";

describe("the Markdown report", () => {
  const { run, records, events, diffs } = finishedDrill();
  const md = renderReportMarkdown(
    buildRunReport({ run, steps: records, events, diffs, now: run.createdAt + 200_000 }),
  );

  it("has the sections people look for", () => {
    for (const heading of [
      "## RTO",
      "## RPO",
      "## Approvals",
      "## Checklist attestations",
      "## Steps",
      "## What failed",
      "## Lessons to record",
      "## Drill: before and after",
      "## Drill: isolation and cleanup",
      "## Timeline",
    ])
      expect(md).toContain(heading);
  });

  it("states RTO and RPO against the tier's targets, each RTO phase against its budget", () => {
    expect(md).toContain("Target 2h; took 2m 40s: met.");
    expect(md).toContain("| decision | 1m 30s | 30m | 1.25% |");
    expect(md).toContain("| activation | 31s | 1h 30m | 0.43% |");
    expect(md).not.toContain("Over budget");
    expect(md).toContain("Data at risk when requested: 5m against a target of 15m: within target.");
  });

  it("reports a drill's wait for its checklist apart from activation, and what a failover would have taken without it", () => {
    expect(md).toContain("| waiting for people | 8s | (apart from activation) | 0.11% |");
    expect(md).toContain(
      "The drill waited 8s for people during activation (its checklists and gates); without that wait a failover would have taken 2m 32s.",
    );
  });

  it("names each phase over its budget", () => {
    const tight = {
      ...run,
      tierRtoBudgets: { detection: 60_000, decision: 60_000, activation: 20_000, validation: 60_000 },
    };
    const over = renderReportMarkdown(
      buildRunReport({ run: tight, steps: records, events, diffs, now: run.createdAt + 200_000 }),
    );
    expect(over).toContain("| decision | 1m 30s | 1m: **over** | 1.25% |");
    expect(over).toContain("Over budget: decision took 1m 30s of its 1m; activation took 31s of its 20s.");
  });

  it("says which steps needed more than one attempt", () => {
    expect(md).toContain("- Scale up on DR (`scale-up`): succeeded after 2 attempt(s)");
  });

  it("names who ticked each checklist item and when", () => {
    expect(md).toContain("| Pre-test checklist | Stakeholders notified | U0ONCALL | 2026-11-25T09:01:35Z |");
  });

  it("names people by the directory's names with their IDs beside them, in every table and in the timeline", () => {
    const report = buildRunReport({ run, steps: records, events, diffs, now: run.createdAt + 200_000 });
    const named = renderReportMarkdown({
      ...report,
      run: { ...report.run, state: "aborted", stateReason: "aborted by U0A1: drill window over" },
      people: { U0ONCALL: "Dana Oncall", U0A1: "Alex Approver" },
    });
    expect(named).toContain("| Requested by | Dana Oncall (U0ONCALL) via");
    expect(named).toContain(
      "| Pre-test checklist | Stakeholders notified | Dana Oncall (U0ONCALL) | 2026-11-25T09:01:35Z |",
    );
    expect(named).toMatch(/\| Alex Approver \(U0A1\) \| 2026-11-25T09:\d\d:\d\dZ \|/);
    expect(named).toContain("| State | aborted: aborted by Alex Approver (U0A1): drill window over |");
    expect(named).not.toMatch(/\| U0A1 \|/);
  });

  it("lists what an aborted run changed and what became of each change", () => {
    const report = buildRunReport({ run, steps: records, events, diffs, now: run.createdAt + 200_000 });
    const aborted = renderReportMarkdown({
      ...report,
      run: { ...report.run, state: "aborted" },
      effects: [
        { stepId: "isolate", title: "Isolate DR", effect: "isolated", status: "succeeded", undo: "undone" },
        {
          stepId: "scale-up",
          title: "Scale up on DR",
          effect: "scaled",
          status: "failed",
          undo: "undo_failed",
        },
      ],
    });
    expect(aborted).toContain("## What changed");
    expect(aborted).toContain("- isolated: Isolate DR (`isolate`): undone");
    expect(aborted).toContain(
      "- scaled: Scale up on DR (`scale-up`) (failed, may be partial): undo failed, still in place",
    );
    expect(md).not.toContain("## What changed");
  });

  it("shows each step's duration, the diff and the cleanup proof", () => {
    expect(md).toContain("| Scale up on DR (`scale-up`) | failover | k8s.scale | succeeded | 2 |");
    expect(md).toContain("~ Deployment production/payments-api: replicas 0 → 3");
    expect(md).toContain(
      `Cleanup proof (\`verify-clean\`): succeeded: nothing labelled with ${run.id} remains`,
    );
    expect(md).toContain("Nothing of this drill remains.");
  });

  it("keeps step output inside its fence and table cells on one line", () => {
    const hostile = new Map(records);
    hostile.set(
      "isolate",
      stepRecord("isolate", { status: "failed", error: "a | b\nc", output: "```\n# not a heading\n```" }),
    );
    const text = renderReportMarkdown(buildRunReport({ run, steps: hostile, events, now: run.createdAt }));
    expect(text).toContain("**Isolate DR** (`isolate`): a \\| b c");
    expect(text).toContain("````\n```\n# not a heading\n```\n````");
  });
});
