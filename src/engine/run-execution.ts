import { DrError, isDrError } from "../domain/errors.js";
import type { PlanStep } from "../domain/run.js";
import { finishReobserving, startRun } from "../domain/run-state/execute.js";
import { isDrivable, isTerminal } from "../domain/run-state/states.js";
import { scopeLockKeys } from "../domain/scope.js";
import { checkEvidence } from "./evidence-gate.js";
import { OperatorControls } from "./operator-controls.js";
import { reobserveInterrupted } from "./reobserve-steps.js";
import type { DriveOutcome, RunEngineOptions } from "./run-engine.js";
import { RunLease } from "./run-lease.js";
import { RunRecorder } from "./run-recorder.js";
import { settleRefusal, settleRun } from "./settle-run.js";
import { StepAbort, type StepRunnerDeps } from "./step-runner.js";
import { launchReadySteps } from "./step-scheduler.js";

/**
 * One pass of one run in this process: claim the lease, re-observe what a dead executor left in
 * flight, run every step that is ready (in parallel where the plan allows) until nothing more can
 * start, then settle where the run stands, and release the lease. What the pass knows is shared by
 * the modules that do each part (step-scheduler, reobserve-steps, settle-run, compensate-run).
 */
export class RunExecution {
  readonly abort = new AbortController();
  /**
   * Stops what runs while the run ends early (undo, `always` steps): a lost lease or a shutdown, never
   * the operator's abort that started it (src/engine/compensate-run.ts).
   */
  readonly ending = new AbortController();
  readonly lease: RunLease;
  readonly controls: OperatorControls;
  readonly recorder: RunRecorder;
  readonly deps: StepRunnerDeps;
  readonly planSteps = new Map<string, PlanStep>();
  /** Steps running now in this pass, by id. */
  readonly inflight = new Map<string, Promise<void>>();
  /** Manual steps already judged in this pass (they are judged once per pass). */
  readonly reevaluated = new Set<string>();
  /** Why the run pauses or fails once nothing is in flight (the first failure decides). */
  pauseReason: string | undefined;
  failReason: string | undefined;
  /** Why the run's evidence did not hold (src/engine/evidence-gate.ts): nothing more of it runs. */
  evidenceRefusal:
    | { problem: "tampered" | "unapproved" | "unverifiable"; reasons: string[]; vouched?: boolean }
    | undefined;

  constructor(
    readonly o: RunEngineOptions,
    readonly runId: string,
    shutdown: AbortSignal,
    /** Set when the process drains: no step starts, the pass ends once nothing is in flight. */
    readonly draining: AbortSignal = new AbortController().signal,
  ) {
    this.deps = {
      config: o.config,
      clock: o.clock,
      services: o.services,
      outputLimit: o.outputLimit ?? 4000,
    };
    this.lease = new RunLease(o, runId, () => {
      this.abort.abort(new StepAbort("lost_lease"));
      this.ending.abort(new StepAbort("lost_lease"));
    });
    this.controls = new OperatorControls(
      { store: o.store, log: o.log, pollMs: o.controlPollMs ?? 1000 },
      runId,
      () => this.abort.abort(new StepAbort("operator_abort")),
    );
    this.recorder = new RunRecorder(o, runId, this.lease, this.controls);
    shutdown.addEventListener(
      "abort",
      () => {
        this.abort.abort(new StepAbort("shutdown"));
        this.ending.abort(new StepAbort("shutdown"));
      },
      { once: true },
    );
  }

  async start(): Promise<DriveOutcome> {
    const first = await this.o.store.getRun(this.runId);
    if (!first) throw new DrError("unknown_run", `no run ${this.runId}`);
    if (!isDrivable(first.state)) return { driven: false, reason: "not_executable", state: first.state };
    const claim = await this.lease.claim();
    if (!claim.ok) return { driven: false, reason: "held", heldBy: claim.heldBy };
    this.lease.startRenewing(scopeLockKeys(first.scope, first.kind));
    this.controls.startPolling();
    try {
      const run = await this.recorder.load();
      if (!isDrivable(run.state)) return { driven: false, reason: "not_executable", state: run.state };
      const gate = await checkEvidence(this, "claim");
      if (gate !== "ok") {
        await settleRefusal(this);
        return { driven: false, reason: gate, state: this.recorder.run.state };
      }
      for (const step of run.plan.steps) this.planSteps.set(step.id, step);
      await this.execute();
      if (this.draining.aborted && !isTerminal(this.recorder.run.state))
        return { driven: false, reason: "draining", state: this.recorder.run.state };
      return { driven: true, state: this.recorder.run.state };
    } catch (error) {
      if (this.lease.lost || isDrError(error, "lost_lease")) return { driven: false, reason: "lost_lease" };
      throw error;
    } finally {
      this.controls.stop();
      this.abort.abort(new StepAbort("shutdown"));
      await Promise.allSettled(this.inflight.values());
      await this.lease.release();
    }
  }

  /** Passes until the run settles; a person's change in the meantime (a tick) asks for another. */
  private async execute(): Promise<void> {
    for (;;) {
      if (this.recorder.run.state === "approved") await this.recorder.move(startRun);
      if (!(await reobserveInterrupted(this))) {
        if (this.evidenceRefusal) await settleRun(this);
        return;
      }
      if (this.recorder.run.state === "interrupted") await this.recorder.move(finishReobserving);
      while (!this.lease.lost && !this.controls.abort) {
        launchReadySteps(this);
        if (this.inflight.size === 0) break;
        await Promise.race(this.inflight.values());
      }
      await Promise.allSettled(this.inflight.values());
      if (this.lease.lost) throw new DrError("lost_lease", `lost the lease of ${this.runId}`);
      // Draining: the run stays as it stands, for the next executor; nothing is settled here.
      if (this.draining.aborted && !this.controls.abort) return;
      if ((await settleRun(this)) === "settled") return;
      await this.recorder.load();
      this.reevaluated.clear();
    }
  }

  /** Where a failed step leaves the run, by its runbook's onFailure (unless an operator aborts). */
  stepFailed(step: PlanStep, reason: string): void {
    if (this.controls.abort) return;
    if (step.onFailure === "pause") this.pauseReason ??= reason;
    else if (step.onFailure === "abort") this.failReason ??= reason;
  }
}
