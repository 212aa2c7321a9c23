import type { Config, RunKind } from "../domain/config.js";
import type { DrError } from "../domain/errors.js";
import type { KeptRound } from "../domain/readiness/kept-round.js";
import type { TierRpo } from "../domain/rpo.js";
import type { Plan, RunEvent, RunRecord, RunScope, StepRecord } from "../domain/run.js";
import type { Runbook } from "../domain/runbook.js";
import type { Serving, ServingMove } from "../domain/site-state.js";
import type { StatusReport } from "../domain/status-report.js";
import type { Evidence } from "../ports/evidence.js";
import { type AppContext, createAppContext, type DrServiceDeps } from "./app-context.js";
import { abort, type ControlRequest, pause, resume, skip } from "./control-run.js";
import { type ApproveInput, approveRequest, checkReject, rejectRequest } from "./decide-run.js";
import type { PlanRequest } from "./plans.js";
import { readKeptRound } from "./read-readiness.js";
import { activeRuns, auditTrail, recentRuns, showRun } from "./read-runs.js";
import { readServing } from "./read-serving.js";
import { readTierRpo, StatusReader } from "./read-status.js";
import { type RequestInput, type RequestOutcome, requestRun } from "./request-run.js";
import { AUDIT_STREAM } from "./run-writer.js";
import { supervise } from "./supervise-runs.js";
import { tick } from "./tick-step.js";
import type { ScopeRestorePoints } from "./velero-overview.js";

export type { DrServiceDeps } from "./app-context.js";
export {
  cleanReason,
  defaultRunId,
  type RequestInput,
  type RequestOutcome,
  SCHEDULE_ACTOR,
} from "./request-run.js";

/**
 * The use cases every surface calls (Slack, the CLI, the watcher, the calendar), one file each under
 * src/app: request, decide (approve, reject), control (abort, pause, resume, skip), tick, the reads,
 * supervise. Each asks the run state machine (src/domain/run-state) and writes through the run
 * writer, which compare-and-sets the run and audits every refusal. This class only gathers them.
 */
export class DrService {
  private readonly ctx: AppContext;
  private readonly statusReader: StatusReader;

  constructor(deps: DrServiceDeps) {
    this.ctx = createAppContext(deps);
    this.statusReader = new StatusReader(this.ctx);
  }

  get config(): Config {
    return this.ctx.config;
  }

  /** How actions are proven and a stored run's proofs checked (the engine checks before it executes). */
  get evidence(): Evidence {
    return this.ctx.evidence;
  }

  runbook(name: string): Runbook {
    return this.ctx.plans.runbook(name);
  }

  runbookFor(kind: RunKind): Runbook {
    return this.ctx.plans.runbookFor(kind);
  }

  /** The plan a request would make now, from where its applications are served (read from the site state). */
  async plan(input: PlanRequest): Promise<Plan> {
    return this.ctx.plans.plan({ ...input, serving: await readServing(this.ctx) });
  }

  /** Which site serves each application, and the moves that put them there (newest first). */
  async serving(): Promise<{ applications: Serving[]; history: ServingMove[] }> {
    const [applications, history] = await Promise.all([
      readServing(this.ctx),
      this.ctx.siteState.history({ limit: 20 }),
    ]);
    return { applications, history };
  }

  /** Recent Velero backups protecting a scope; empty when this process has no Velero access. */
  async restorePoints(scope: Pick<RunScope, "applications" | "toSite">): Promise<ScopeRestorePoints> {
    return this.ctx.restorePoints ? this.ctx.restorePoints(scope) : [];
  }

  /**
   * The readiness round the watch leader kept, read within `deadlineMs` (never runs a check);
   * undefined when this process reads no readiness.
   */
  readiness(deadlineMs: number, operation: string): Promise<KeptRound | undefined> {
    return readKeptRound(this.ctx, deadlineMs, operation);
  }

  rpo(): Promise<TierRpo[]> {
    return readTierRpo(this.ctx);
  }

  /** Status; `scope` (one tier or application name) adds its readiness findings. Throws unknown_scope. */
  status(scope: readonly string[] = []): Promise<StatusReport> {
    return this.statusReader.status(scope);
  }

  request(input: RequestInput): Promise<RequestOutcome> {
    return requestRun(this.ctx, input);
  }

  approve(input: ApproveInput): Promise<{ run: RunRecord; started: boolean }> {
    return approveRequest(this.ctx, input);
  }

  reject(input: ControlRequest & { note?: string }): Promise<RunRecord> {
    return rejectRequest(this.ctx, input);
  }

  /** Refuses, audited, a person who may not reject the run now; before they are asked why. */
  checkReject(input: { actor: string; runId: string }): Promise<RunRecord> {
    return checkReject(this.ctx, input);
  }

  abort(input: ControlRequest & { note?: string }): Promise<RunRecord> {
    return abort(this.ctx, input);
  }

  pause(input: ControlRequest): Promise<RunRecord> {
    return pause(this.ctx, input);
  }

  resume(input: ControlRequest): Promise<RunRecord> {
    return resume(this.ctx, input);
  }

  skip(input: ControlRequest & { stepId: string; reason: string }): Promise<RunRecord> {
    return skip(this.ctx, input);
  }

  tick(
    input: ControlRequest & { stepId: string; item: string },
  ): Promise<{ run: RunRecord; step: StepRecord }> {
    return tick(this.ctx, input);
  }

  show(runId: string): Promise<{ run: RunRecord; steps: Map<string, StepRecord>; events: RunEvent[] }> {
    return showRun(this.ctx, runId);
  }

  runs(limit = 20): Promise<RunRecord[]> {
    return recentRuns(this.ctx, limit);
  }

  activeRuns(): Promise<RunRecord[]> {
    return activeRuns(this.ctx);
  }

  supervise(): Promise<{ expired: string[]; driven: string[] }> {
    return supervise(this.ctx);
  }

  /** Audits bad input that never reached a run (unknown scope, malformed flags). */
  async auditRefusal(actor: string, error: DrError, data: Record<string, unknown> = {}): Promise<void> {
    await this.ctx.writer.refuse(AUDIT_STREAM, actor, error, data);
  }

  auditTrail(limit = 100): Promise<RunEvent[]> {
    return auditTrail(this.ctx, limit);
  }
}
