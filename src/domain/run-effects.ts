import { isTerminal, type PlanStep, type RunRecord, type StepRecord } from "./run.js";

/**
 * What a run changed, read from its step records: each step that changes something and had an
 * attempt start (an attempt stopped half-way may have done part of its work), with whether its undo
 * took effect. What an aborted, failed or paused run's summary and its report list, so nobody has to
 * read the whole thread to know what state the sites are in. Pure.
 */

/** Step kinds that change nothing: checks, waits, readings, notices, people's ticks and approvals. */
const CHANGES_NOTHING: ReadonlySet<string> = new Set([
  "approval",
  "checklist",
  "notify",
  "wait",
  "http",
  "site.probe",
  "site.standby",
  "k8s.health",
  "k8s.capacity",
  "k8s.wait-ready",
  "k8s.snapshot",
  "k8s.diff",
  "k8s.verify-clean",
  "db.catch-up",
  "db.lag-gate",
  "dns.wait-ttl",
  "backup.verify",
  "velero.verify-restore",
  "velero.settle-restores",
]);

/** The word for what a kind did, as people say it; a kind not listed "changed" something. */
const EFFECT: Record<string, string | ((params: Record<string, unknown>) => string)> = {
  "k8s.scale": "scaled",
  "k8s.fence": "fenced",
  "k8s.cronjobs": (p) => (p.suspend === false ? "resumed" : "suspended"),
  "k8s.isolate": "isolated",
  "k8s.unisolate": "isolation lifted",
  "k8s.sandbox": "created",
  "k8s.delete-namespace": "deleted",
  "db.promote": "promoted",
  "db.read-only": "writes stopped",
  "db.read-write": "writes given back",
  "db.rejoin": "rejoined",
  "dns.switch": "switched",
  "site.serving": "recorded serving",
  "velero.backup": "backed up",
  "velero.restore": "restored",
  "velero.storage-location": (p) => (p.accessMode === "ReadWrite" ? "made writable" : "made read-only"),
  "longhorn.activate": "activated",
  "longhorn.backup": "backed up",
  "longhorn.standby": "made standby",
  "etcd.snapshot": "snapshot taken",
  shell: "ran",
};

/**
 * - `in_effect`: the run completed (with exceptions or not): the change is what it was for.
 * - `undone`: its undo ran, or was observed already in effect.
 * - `undo_failed`: its undo was tried and did not take effect.
 * - `withheld`: its undo was withheld, the run having passed the step's point of no return.
 * - `not_undone`: the run ended with it in place although it has an undo (not reached, or refused).
 * - `undo_pending`: the run has not ended; aborting it runs the undo.
 * - `kept`: the runbook gives it no undo; it stays whatever happens.
 */
export type EffectUndo =
  | "in_effect"
  | "undone"
  | "withheld"
  | "undo_failed"
  | "not_undone"
  | "undo_pending"
  | "kept";

export interface RunEffect {
  stepId: string;
  title: string;
  /** What it did, in a word or two: scaled, promoted, switched, isolated, suspended. */
  effect: string;
  /** Its own status: an effect cut short by the abort may be partial. */
  status: StepRecord["status"];
  undo: EffectUndo;
}

/** Whether the kind changes anything a person would need to know about or take back. */
export function changesSomething(kind: string): boolean {
  return !CHANGES_NOTHING.has(kind);
}

/** Whether any step of the run had an attempt start: a run that never started changed nothing. */
export function runStarted(steps: ReadonlyMap<string, StepRecord>): boolean {
  for (const record of steps.values()) if (record.attempts > 0 || record.startedAt !== undefined) return true;
  return false;
}

/** The run's effects in plan order, each with what became of it. */
export function runEffects(
  run: Pick<RunRecord, "plan" | "state">,
  steps: ReadonlyMap<string, StepRecord>,
): RunEffect[] {
  const ended = isTerminal(run.state);
  const completed = run.state === "completed" || run.state === "completed_with_exceptions";
  return run.plan.steps.flatMap((step) => {
    const record = steps.get(step.id);
    if (!record || record.attempts === 0 || !changesSomething(step.kind)) return [];
    return [
      {
        stepId: step.id,
        title: step.title,
        effect: effectWord(step),
        status: record.status,
        undo: completed && !record.undone ? "in_effect" : undoOf(step, record, ended),
      },
    ];
  });
}

/** The effects still in place that an undo exists for: what aborting (or undoing) would take back. */
export function undoable(effects: readonly RunEffect[]): RunEffect[] {
  return effects.filter(
    (e) => e.undo === "undo_pending" || e.undo === "not_undone" || e.undo === "undo_failed",
  );
}

function effectWord(step: PlanStep): string {
  const word = EFFECT[step.kind];
  if (word === undefined) return "changed";
  return typeof word === "string" ? word : word(step.params);
}

function undoOf(step: PlanStep, record: StepRecord, ended: boolean): EffectUndo {
  if (record.undone) return "undone";
  if (record.undoWithheld) return "withheld";
  if (!step.undo) return "kept";
  if (!ended) return "undo_pending";
  // compensate-run.ts writes each undo's result at the end of the step's output ("undo: failed (…)").
  const last = /(?:^|\n)undo: ([a-z_ ]+)/g;
  let result: string | undefined;
  for (const match of (record.output ?? "").matchAll(last)) result = match[1];
  return result === undefined || result === "not run" ? "not_undone" : "undo_failed";
}

/** How each fate is said: the summary, the report and the CLI share these words. */
export const UNDO_TEXT: Record<EffectUndo, string> = {
  in_effect: "in effect",
  undone: "undone",
  withheld: "kept: not undone past its point of no return",
  undo_failed: "undo failed, still in place",
  not_undone: "not undone, still in place",
  undo_pending: "in place; Abort undoes it",
  kept: "stays (the runbook has no undo for it)",
};
