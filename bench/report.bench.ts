import { renderReportMarkdown } from "../src/app/report/render-report-markdown.js";
import { renderTimelineSvg } from "../src/app/report/render-timeline-svg.js";
import type { PlanStep, RunEvent, RunRecord, StepRecord } from "../src/domain/run.js";
import { buildRunReport } from "../src/domain/run-report.js";
import { type BenchResult, percentile } from "./bench-kit.js";

/**
 * The report of a large failover: 200 deployments scaled and waited for (400 steps), 2,000 audit
 * events. Built and rendered (Markdown, JSON, SVG) 50 times; the figures are the time per report
 * and the size of what is posted to Slack. A report must never hold up the end of a run.
 */
const WORKLOADS = 200;
const ROUNDS = 50;

function largeFailover(): { run: RunRecord; steps: Map<string, StepRecord>; events: RunEvent[] } {
  const t0 = Date.UTC(2026, 10, 25, 9, 0, 0);
  const plan: PlanStep[] = [];
  const steps = new Map<string, StepRecord>();
  for (const [n, rb] of [
    [0, "scale-up"],
    [1, "wait-ready"],
  ] as const)
    for (let i = 0; i < WORKLOADS; i++) {
      const id = `${rb}.ns${i % 20}.app-${i}`;
      plan.push({
        id,
        runbookStepId: rb,
        phase: "activate",
        rtoPhase: "activation",
        title: rb === "scale-up" ? "Scale up" : "Wait until ready",
        kind: rb === "scale-up" ? "k8s.scale" : "k8s.wait-ready",
        params: {},
        timeoutMs: 120_000,
        retries: 2,
        retryDelayMs: 1_000,
        onFailure: "pause",
        needs: [],
        summary: id,
      });
      const startedAt = t0 + 60_000 + n * 5_000 + (i % 20) * 50;
      steps.set(id, {
        id,
        status: "succeeded",
        attempts: 1,
        startedAt,
        endedAt: startedAt + 500 + (i % 7) * 300,
        output: `deployment ns${i % 20}/app-${i} scaled to 3 on dc2`,
      });
    }
  const scope = { applications: ["payments"], tiers: ["tier1"], fromSite: "dc1", toSite: "dc2" };
  const run: RunRecord = {
    id: "failover-1125-0900-abcdef",
    kind: "failover",
    mode: "real",
    runbook: "failover",
    scopeKey: "failover:payments",
    scope,
    plan: {
      runbook: "failover",
      runbookTitle: "Failover",
      kind: "failover",
      mode: "real",
      scope,
      steps: plan,
      pins: {},
      hash: "h",
    },
    state: "completed",
    requestedBy: "U0ONCALL",
    reason: "DC1 power loss",
    source: "slack",
    requiredApprovals: 2,
    approvals: [
      { userId: "U0A1", at: t0 + 30_000, planHash: "h" },
      { userId: "U0A2", at: t0 + 55_000, planHash: "h" },
    ],
    decisions: [],
    expiresAt: t0 + 1_800_000,
    createdAt: t0,
    updatedAt: t0 + 90_000,
    rto: {
      requestedAt: t0,
      approvedAt: t0 + 55_000,
      activationStartedAt: t0 + 60_000,
      activationEndedAt: t0 + 80_000,
      validationEndedAt: t0 + 90_000,
    },
    tierRtoMs: 7_200_000,
    tierRpoMs: 900_000,
    version: 900,
    annotations: {},
  };
  const events: RunEvent[] = Array.from({ length: 2_000 }, (_, i) => ({
    type: "step.state",
    at: t0 + 60_000 + i * 10,
    actor: "engine:bench",
    runId: run.id,
    stepId: plan[i % plan.length]!.id,
    data: { status: i % 2 ? "succeeded" : "running", attempt: 1 },
  }));
  return { run, steps, events };
}

export async function run(): Promise<BenchResult> {
  const { run: record, steps, events } = largeFailover();
  const times: number[] = [];
  let sizes = { markdown: 0, json: 0, svg: 0 };
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    const report = buildRunReport({ run: record, steps, events, now: record.updatedAt });
    const markdown = renderReportMarkdown(report);
    const json = JSON.stringify(report, null, 2);
    const svg = renderTimelineSvg(report);
    times.push(performance.now() - started);
    sizes = { markdown: markdown.length, json: json.length, svg: svg.length };
  }
  return {
    name: "report",
    figures: [
      {
        name: "report of 400 steps, p50",
        value: percentile(times, 50),
        unit: "ms",
        target: { op: "<", value: 100 },
      },
      { name: "report of 400 steps, p99", value: percentile(times, 99), unit: "ms" },
      { name: "timeline SVG size", value: sizes.svg / 1024, unit: "KiB", target: { op: "<", value: 100 } },
      { name: "Markdown size", value: sizes.markdown / 1024, unit: "KiB" },
      { name: "JSON size", value: sizes.json / 1024, unit: "KiB" },
    ],
    notes: [
      `${WORKLOADS} deployments (400 steps, drawn as one bar per runbook step), 2,000 events, ${ROUNDS} rounds`,
    ],
  };
}
