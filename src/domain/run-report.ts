import type { RunKind } from "./config.js";
import { formatMs } from "./duration.js";
import { unconfirmedFencing } from "./fencing.js";
import { measureRun, type RtoBudgetPhase } from "./rto-budgets.js";
import type { Decision, RunEvent, RunMode, RunRecord, RunScope, RunState, StepRecord } from "./run.js";
import type { RunEffect } from "./run-effects.js";
import { describeEvent } from "./run-event-text.js";
import { describeScope } from "./scope.js";
import type { Snapshot, SnapshotDiff } from "./snapshot.js";
import { describeCondition } from "./step-condition.js";
import { measureTrafficWindow, type TrafficReport, withTarget } from "./traffic-window.js";
import { withheldUndos } from "./undo-rule.js";

export { describeEvent } from "./run-event-text.js";

/**
 * A run's report: what happened, when, who decided, how long each step took, RTO and RPO against the
 * tier's targets, and for drills the before/after diff and the proof of cleanup. Built from the stored
 * run, steps and audit trail; pure (the caller passes `now` and the artifacts it read). Markdown,
 * JSON and the timeline picture are renderings of this one object.
 */
export interface RunReport {
  format: "drbot.run-report/v1";
  generatedAt: number;
  run: {
    id: string;
    kind: RunKind;
    mode: RunMode;
    runbook: string;
    title: string;
    state: RunState;
    stateReason?: string;
    scope: RunScope;
    scopeText: string;
    requestedBy: string;
    reason: string;
    source: string;
    planHash: string;
    createdAt: number;
  };
  outcome: string;
  /** What the run changed and what became of each change (run-effects.ts); absent in older reports. */
  effects?: RunEffect[];
  /** Display names of the people the report records, by user ID, as far as they could be read. */
  people?: Record<string, string>;
  rto: {
    targetMs: number;
    totalMs: number;
    remainingMs: number;
    met: boolean | undefined;
    finished: boolean;
    /** Where the RTO clock starts: detection when known, else the request. */
    startedAt: number;
    endedAt: number | undefined;
    /** Each phase against its budget; activation without the time its steps waited for people. */
    phases: Array<{
      name: RtoBudgetPhase;
      ms: number | undefined;
      budgetMs: number;
      over: boolean;
    }>;
    /** Time activation steps waited for people (a checklist, a gate), reported apart from activation. */
    waitingMs: number;
  };
  rpo: {
    targetMs: number;
    /** Data at risk when the run was requested; undefined when it could not be measured. */
    exposureMs: number | undefined;
    withinTarget: boolean | undefined;
  };
  approvals: {
    required: number;
    received: Array<{
      userId: string;
      at: number;
      waitMs: number;
      planHash: string;
      /** What the approver accepted explicitly with the approval (a data loss, a scope not ready). */
      accepted?: ("data loss" | "not ready")[];
    }>;
  };
  decisions: Decision[];
  attestations: Array<{ stepId: string; stepTitle: string; item: string; userId: string; at: number }>;
  phases: Array<{ name: string; startedAt: number | undefined; endedAt: number | undefined }>;
  steps: ReportStep[];
  /** Steps that did not succeed, or needed more than one attempt: what the review starts from. */
  failures: Array<{
    stepId: string;
    title: string;
    status: StepRecord["status"];
    attempts: number;
    error?: string;
  }>;
  timeline: Array<{ at: number; actor: string; type: RunEvent["type"]; stepId?: string; text: string }>;
  /**
   * For a run that moved traffic: how long DNS could send clients to a site with nothing ready
   * (src/domain/traffic-window.ts), and its target when the run took the planned path: one TTL.
   */
  traffic?: TrafficReport;
  /** Steps that stop a site and could not confirm it (the site did not answer), by title. */
  fencing: { unconfirmed: string[] };
  /** Steps of a run that ended early kept as they were: their undo's point of no return had started. */
  notUndone: { stepId: string; title: string; until: string }[];
  drill?: {
    /** State before and after, as the snapshot steps recorded it. */
    snapshots: Array<{
      stepId: string;
      site: string;
      label: string;
      takenAt: number | undefined;
      workloads: number | undefined;
      runningPods: Record<string, number> | undefined;
    }>;
    diffs: Array<{
      stepId: string;
      site: string;
      before: string;
      after: string;
      diff: SnapshotDiff | undefined;
    }>;
    isolation: Array<{ stepId: string; title: string; status: StepRecord["status"]; output?: string }>;
    /** The verify-clean steps: their output is the proof that nothing of the drill remains. */
    cleanup: Array<{ stepId: string; status: StepRecord["status"]; proof?: string; error?: string }>;
    clean: boolean;
  };
}

export interface ReportStep {
  id: string;
  /** The runbook step it expands (forEach items share it). */
  runbookStepId: string;
  title: string;
  phase: string;
  rtoPhase: string;
  kind: string;
  status: StepRecord["status"];
  attempts: number;
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
  output?: string;
  error?: string;
  resolvedBy?: StepRecord["resolvedBy"];
  skipped?: StepRecord["skipped"];
  undone?: boolean;
  /** "only if probe-primary: reachable" for a step on one path. */
  condition?: string;
  /** What a deciding step decided (reachable, unreachable; a fence confirmed or not). */
  outcome?: string;
  /** Why the step did not run: its condition did not hold. */
  skipReason?: string;
}

export interface RunReportInput {
  run: RunRecord;
  steps: ReadonlyMap<string, StepRecord>;
  events: readonly RunEvent[];
  /** Diffs recorded by k8s.diff steps, by step id (read from the run's artifacts). */
  diffs?: ReadonlyMap<string, SnapshotDiff>;
  /** Snapshots recorded by k8s.snapshot steps, by step id. */
  snapshots?: ReadonlyMap<string, Snapshot>;
  now: number;
  /** The longest TTL of the DNS records the run's switches move, in ms (see switchedRecordsTtlMs). */
  dnsTtlMs?: number;
}

const TIMELINE_MAX = 1_000;
const ISOLATION_KINDS = new Set(["k8s.isolate", "k8s.unisolate"]);

export function buildRunReport(input: RunReportInput): RunReport {
  const { run, steps, events, now } = input;
  const rto = measureRun(run, steps, now);
  const stepRows: ReportStep[] = run.plan.steps.map((p) => {
    const r = steps.get(p.id);
    const durationMs =
      r?.startedAt !== undefined && r.endedAt !== undefined
        ? Math.max(0, r.endedAt - r.startedAt)
        : undefined;
    return {
      id: p.id,
      runbookStepId: p.runbookStepId,
      title: p.title,
      phase: p.phase,
      rtoPhase: p.rtoPhase,
      kind: p.kind,
      status: r?.status ?? "not_started",
      attempts: r?.attempts ?? 0,
      ...(r?.startedAt !== undefined ? { startedAt: r.startedAt } : {}),
      ...(r?.endedAt !== undefined ? { endedAt: r.endedAt } : {}),
      ...(durationMs !== undefined ? { durationMs } : {}),
      ...(r?.output ? { output: r.output } : {}),
      ...(r?.error ? { error: r.error } : {}),
      ...(r?.resolvedBy ? { resolvedBy: r.resolvedBy } : {}),
      ...(r?.skipped ? { skipped: r.skipped } : {}),
      ...(r?.undone ? { undone: true } : {}),
      ...(p.when ? { condition: describeCondition(p.when) } : {}),
      ...(r?.outcome !== undefined ? { outcome: r.outcome } : {}),
      ...(r?.skipReason ? { skipReason: r.skipReason } : {}),
    };
  });
  const phaseNames = [...new Set(run.plan.steps.map((s) => s.phase))];
  const phases = phaseNames.map((name) => {
    const rows = stepRows.filter((s) => s.phase === name);
    const starts = rows.flatMap((s) => (s.startedAt !== undefined ? [s.startedAt] : []));
    const ends = rows.flatMap((s) => (s.endedAt !== undefined ? [s.endedAt] : []));
    return {
      name,
      startedAt: starts.length ? Math.min(...starts) : undefined,
      endedAt: ends.length ? Math.max(...ends) : undefined,
    };
  });
  const attestations = run.plan.steps
    .flatMap((p) =>
      (steps.get(p.id)?.attestations ?? []).map((a) => ({
        stepId: p.id,
        stepTitle: p.title,
        item: a.item,
        userId: a.userId,
        at: a.at,
      })),
    )
    .sort((a, b) => a.at - b.at);
  const report: RunReport = {
    format: "drbot.run-report/v1",
    generatedAt: now,
    run: {
      id: run.id,
      kind: run.kind,
      mode: run.mode,
      runbook: run.runbook,
      title: run.plan.runbookTitle,
      state: run.state,
      ...(run.stateReason ? { stateReason: run.stateReason } : {}),
      scope: run.scope,
      scopeText: describeScope(run.scope),
      requestedBy: run.requestedBy,
      reason: run.reason,
      source: run.source,
      planHash: run.plan.hash,
      createdAt: run.createdAt,
    },
    outcome: "",
    rto: {
      targetMs: rto.targetMs,
      totalMs: rto.totalMs,
      remainingMs: rto.remainingMs,
      met: rto.met,
      finished: rto.finished,
      startedAt: run.rto.detectedAt ?? run.rto.requestedAt,
      endedAt: run.rto.validationEndedAt,
      phases: rto.phases.map((p) => ({ name: p.phase, ms: p.ms, budgetMs: p.budgetMs, over: p.over })),
      waitingMs: rto.waitingMs,
    },
    rpo: {
      targetMs: run.tierRpoMs,
      exposureMs: run.rpoExposureMs,
      withinTarget: run.rpoExposureMs === undefined ? undefined : run.rpoExposureMs <= run.tierRpoMs,
    },
    approvals: {
      required: run.requiredApprovals,
      received: run.approvals.map((a) => ({
        userId: a.userId,
        at: a.at,
        waitMs: Math.max(0, a.at - run.rto.requestedAt),
        planHash: a.planHash,
        ...acceptedBy(a),
      })),
    },
    decisions: run.decisions,
    attestations,
    phases,
    steps: stepRows,
    failures: stepRows
      .filter(
        // A step skipped because its condition did not hold is the path not taken, not a failure.
        (s) =>
          s.status === "failed" ||
          s.status === "timed_out" ||
          (s.status === "skipped" && s.resolvedBy !== "condition") ||
          s.attempts > 1,
      )
      .map((s) => ({
        stepId: s.id,
        title: s.title,
        status: s.status,
        attempts: s.attempts,
        ...(s.error ? { error: s.error } : {}),
      })),
    fencing: { unconfirmed: unconfirmedFencing(run.plan.steps, steps) },
    notUndone: withheldUndos(run.plan.steps, steps),
    timeline: events.slice(-TIMELINE_MAX).map((e) => ({
      at: e.at,
      actor: e.actor,
      type: e.type,
      ...(e.stepId ? { stepId: e.stepId } : {}),
      text: describeEvent(e),
    })),
  };
  const traffic = measureTrafficWindow(run, steps, input.dnsTtlMs, now);
  if (traffic) report.traffic = withTarget(traffic, run, steps);
  if (run.kind === "drill" || run.mode === "drill")
    report.drill = drillSection(run, stepRows, input.diffs, input.snapshots);
  report.outcome = outcomeLine(report);
  return report;
}

function drillSection(
  run: RunRecord,
  rows: ReportStep[],
  diffs: ReadonlyMap<string, SnapshotDiff> | undefined,
  snapshots: ReadonlyMap<string, Snapshot> | undefined,
): NonNullable<RunReport["drill"]> {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const plan = run.plan.steps;
  const cleanup = plan
    .filter((p) => p.kind === "k8s.verify-clean")
    .map((p) => {
      const r = byId.get(p.id)!;
      return {
        stepId: p.id,
        status: r.status,
        ...(r.output ? { proof: r.output } : {}),
        ...(r.error ? { error: r.error } : {}),
      };
    });
  return {
    snapshots: plan
      .filter((p) => p.kind === "k8s.snapshot")
      .map((p) => {
        const snap = snapshots?.get(p.id);
        return {
          stepId: p.id,
          site: String(p.params.site ?? ""),
          label: String(p.params.label ?? ""),
          takenAt: snap?.takenAt,
          workloads: snap?.workloads.length,
          runningPods: snap?.pods,
        };
      }),
    diffs: plan
      .filter((p) => p.kind === "k8s.diff")
      .map((p) => ({
        stepId: p.id,
        site: String(p.params.site ?? ""),
        before: String(p.params.before ?? ""),
        after: String(p.params.after ?? ""),
        diff: diffs?.get(p.id),
      })),
    isolation: plan
      .filter((p) => ISOLATION_KINDS.has(p.kind))
      .map((p) => {
        const r = byId.get(p.id)!;
        return { stepId: p.id, title: p.title, status: r.status, ...(r.output ? { output: r.output } : {}) };
      }),
    cleanup,
    clean: cleanup.length > 0 && cleanup.every((c) => c.status === "succeeded"),
  };
}

function outcomeLine(report: RunReport): string {
  const r = report.rto;
  const rto = r.finished
    ? `RTO ${formatMs(r.totalMs)} of ${formatMs(r.targetMs)} (${r.met ? "met" : "missed"})`
    : `RTO clock at ${formatMs(r.totalMs)} of ${formatMs(r.targetMs)} (not finished)`;
  const rpo =
    report.rpo.exposureMs === undefined
      ? `RPO exposure unknown (target ${formatMs(report.rpo.targetMs)})`
      : `RPO exposure ${formatMs(report.rpo.exposureMs)} of ${formatMs(report.rpo.targetMs)} (${report.rpo.withinTarget ? "within" : "over"} target)`;
  const counts = new Map<string, number>();
  for (const s of report.steps) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  const steps = [...counts].map(([status, n]) => `${n} ${status.replace(/_/g, " ")}`).join(", ");
  const clean = report.drill ? (report.drill.clean ? "; nothing left behind" : "; cleanup NOT proven") : "";
  const t = report.traffic;
  const traffic = t
    ? `; no-ready-site window ${formatMs(t.noReadySiteMs)}${t.targetMs !== undefined ? ` of ${formatMs(t.targetMs)} (${t.path}, ${t.met ? "met" : "missed"})` : t.path ? ` (${t.path})` : ""}`
    : "";
  const fencing =
    report.fencing.unconfirmed.length > 0
      ? `; fencing NOT confirmed: ${report.fencing.unconfirmed.join(", ")}`
      : "";
  const kept = report.notUndone.map((k) => `${k.title} (${k.until} had started)`).join(", ");
  const notUndone = kept ? `; NOT undone, past the point of no return: ${kept}` : "";
  return `${report.run.state.replace(/_/g, " ")}: ${rto}; ${rpo}; steps: ${steps}${traffic}${fencing}${notUndone}${clean}`;
}

function acceptedBy(a: RunRecord["approvals"][number]): { accepted?: ("data loss" | "not ready")[] } {
  const accepted = [
    ...(a.acceptedDataLoss ? (["data loss"] as const) : []),
    ...(a.acceptedNotReady ? (["not ready"] as const) : []),
  ];
  return accepted.length > 0 ? { accepted } : {};
}
