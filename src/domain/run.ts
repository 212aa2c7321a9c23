import type { RunKind } from "./config.js";
import type { Proof } from "./evidence/proof.js";
import type { RunReadiness } from "./readiness/run-readiness.js";
import type { RtoBudgets } from "./rto-budgets.js";
import type { RunState } from "./run-state/states.js";
import type { OnFailure, RunbookRtoPhase } from "./runbook.js";
import type { Serving } from "./site-state.js";

export {
  isTerminal,
  RUN_STATES,
  type RunState,
  TERMINAL_STATES,
} from "./run-state/states.js";

export const STEP_STATUSES = [
  "not_started",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "timed_out",
  "skipped",
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export function isStepFinished(status: StepStatus): boolean {
  return status === "succeeded" || status === "skipped" || status === "failed" || status === "timed_out";
}

export type RunMode = "real" | "drill";

export interface RunScope {
  /** Applications the run touches, resolved from the tiers and applications the person named. */
  applications: string[];
  tiers: string[];
  /** The site pair: where traffic moves from and to. */
  fromSite: string;
  toSite: string;
  /**
   * DNS records that also carry applications the requester did not name, and those applications,
   * added to the scope on request (`--with-shared`) so every record moves with all its applications.
   */
  shared?: SharedRecord[];
}

export interface SharedRecord {
  record: string;
  applications: string[];
}

/** One concrete step of a plan: a runbook step with its placeholders expanded for one scope item. */
export interface PlanStep {
  id: string;
  runbookStepId: string;
  phase: string;
  rtoPhase: RunbookRtoPhase;
  title: string;
  kind: string;
  /** The params as the kind's schema made them (defaults filled in, durations in milliseconds). */
  params: Record<string, unknown>;
  /**
   * The params as the runbook gave them, placeholders expanded, before the kind's schema: what the
   * engine parses again before it runs the step (src/domain/plan-params.ts). Absent in plans made
   * before drbot kept them.
   */
  rawParams?: Record<string, unknown>;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  onFailure: OnFailure;
  needs: string[];
  group?: string;
  concurrency?: number;
  undo?: {
    kind: string;
    params: Record<string, unknown>;
    rawParams?: Record<string, unknown>;
    timeoutMs: number;
    /**
     * The runbook step past which this undo never runs: once any attempt of it (any of its
     * instances) started, what the step did stays (src/domain/undo-rule.ts).
     */
    until?: string;
    /** What the undo does, in one line (absent in plans made before drbot showed it). */
    summary?: string;
  };
  /** Runs only when the step `step` (one of this step's needs) decided one of `is`; skipped otherwise. */
  when?: StepCondition;
  /** Runs even when the run ends early (abort, failure with abort), after the undo. */
  always?: true;
  /** What the step will do, in one line, for the approval card and `plan`. */
  summary: string;
}

export interface StepCondition {
  step: string;
  is: string[];
}

export interface Plan {
  runbook: string;
  runbookTitle: string;
  kind: RunKind;
  mode: RunMode;
  scope: RunScope;
  steps: PlanStep[];
  /** Readings that, if they change before the run starts, void the approvals (e.g. the backup chosen). */
  pins: Record<string, string>;
  hash: string;
}

export interface Approval {
  userId: string;
  at: number;
  planHash: string;
  /** The approver explicitly accepted losing more data than the tier's RPO (see RunRecord.rpoRisk). */
  acceptedDataLoss?: boolean;
  /** The approver explicitly accepted approving a scope that is not ready (see RunRecord.readiness). */
  acceptedNotReady?: boolean;
  /**
   * Who approved, provable without trusting the store: Slack's signed click or the approver's SSH
   * signature (src/domain/evidence/proof.ts). The engine checks it again before it executes.
   */
  proof?: Proof;
}

/**
 * The restore points approvers saw on the card (Velero backups of the scope's schedules, newest
 * first), kept on the run as the record of what they chose from.
 */
export interface RunRestorePoints {
  source: string;
  schedule: string;
  /** Why no list could be read (Velero not installed, site unreachable). */
  detail?: string;
  backups: { name: string; dataAt: number; phase: string; good: boolean }[];
}

/**
 * A failover that would lose more data than the tier allows (or whose exposure could not be read):
 * every approver must accept it explicitly, so nobody approves a data loss by accident.
 */
export interface RpoRisk {
  /** Data at risk when the run was requested, in ms; absent when a source could not be read. */
  exposureMs?: number;
  targetMs: number;
  tier: string;
  /** The source with the oldest recovery point. */
  source?: string;
  /** Sources that could not be read (counted as the worst case). */
  unknown: string[];
  /** Sources whose due recovery point is missing, each with its verdict. */
  late?: string[];
  /** When the exposure was read (so a later reading can tell an older recovery point from time passing). */
  readAt?: number;
}

export interface Decision {
  userId: string;
  at: number;
  decision: "approved" | "rejected" | "aborted" | "resumed" | "skipped" | "paused";
  /** The person's words: a rejection's note, a skip's reason. */
  note?: string;
  /** The step a skip was about. */
  stepId?: string;
}

export interface RtoTimes {
  detectedAt?: number;
  requestedAt: number;
  approvedAt?: number;
  activationStartedAt?: number;
  activationEndedAt?: number;
  validationEndedAt?: number;
}

export interface RunRecord {
  id: string;
  kind: RunKind;
  mode: RunMode;
  runbook: string;
  scopeKey: string;
  scope: RunScope;
  plan: Plan;
  state: RunState;
  stateReason?: string;
  requestedBy: string;
  /** Proof of who requested the run (absent for the calendar's runs, requested by drbot itself). */
  requestProof?: Proof;
  reason: string;
  channel?: string;
  /** Where the request came from: slack, cli, watcher. */
  source: string;
  requiredApprovals: number;
  approvals: Approval[];
  decisions: Decision[];
  expiresAt: number;
  createdAt: number;
  updatedAt: number;
  rto: RtoTimes;
  tierRtoMs: number;
  /** The strictest RTO budget of each phase among the scope's tiers (older runs: the strategy's). */
  tierRtoBudgets?: RtoBudgets;
  tierRpoMs: number;
  /** RPO exposure at request time, in ms (undefined when unknown), and whether approvers accepted it. */
  rpoExposureMs?: number;
  /** Set when approvers must accept a data loss beyond the tier's RPO. */
  rpoRisk?: RpoRisk;
  /**
   * The scope's readiness from the kept round when the run was requested (read again at the last
   * approval): listed on the card; not ready, a real failover or failback needs explicit acceptance.
   */
  readiness?: RunReadiness;
  /** Which site served each of the scope's applications when the run was requested. */
  serving?: Serving[];
  /** Recent backups of the scope when the run was requested (failover only). */
  restorePoints?: RunRestorePoints[];
  /** An operator's request to the executor holding the run (it acts on it within a second). */
  control?: { action: "abort" | "pause"; userId: string; at: number; note?: string };
  version: number;
  /** Free-form annotations for surfaces (e.g. the Slack message holding the run's live view). */
  annotations: Record<string, string>;
}

export interface Attestation {
  item: string;
  userId: string;
  at: number;
}

export interface StepRecord {
  id: string;
  status: StepStatus;
  attempts: number;
  startedAt?: number;
  endedAt?: number;
  output?: string;
  error?: string;
  /**
   * How the last result was obtained: executed, observed after a takeover, decided by an operator,
   * or skipped because the step's `when` did not hold (see skipReason).
   */
  resolvedBy?: "executed" | "observed" | "operator" | "condition";
  /** What a deciding step decided (site.probe: reachable or unreachable; a fence: confirmed or not). */
  outcome?: string;
  /** Why a step was skipped without running: its condition and what was decided instead. */
  skipReason?: string;
  /** A skip is a decision: who skipped the step, when, and why (shown on the progress message and the report). */
  skipped?: { by: string; at: number; reason: string };
  /** Checklist ticks and other attestations: who did what when (stored apart, see RunStore). */
  attestations?: Attestation[];
  /** The step's undo took effect (run or observed) when the run ended early. */
  undone?: boolean;
  /** The step's undo was withheld when the run ended early: its point of no return had started. */
  undoWithheld?: boolean;
}

export type RunEventType =
  | "run.requested"
  | "run.approval"
  | "run.refusal"
  | "run.state"
  | "run.takeover"
  | "step.state"
  | "step.observed"
  | "step.undo"
  | "step.attestation"
  | "step.output"
  | "run.note";

export interface RunEvent {
  type: RunEventType;
  at: number;
  actor: string;
  runId: string;
  stepId?: string;
  data: Record<string, unknown>;
  /** Stream id, filled in by the store on read. */
  id?: string;
}

export function initialStepRecords(plan: Plan): StepRecord[] {
  return plan.steps.map((s) => ({ id: s.id, status: "not_started" as const, attempts: 0 }));
}
