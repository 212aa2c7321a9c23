import type { Config } from "../domain/config.js";
import { DrError, isDrError } from "../domain/errors.js";
import {
  isStepFinished,
  type PlanStep,
  type RunEvent,
  type RunRecord,
  type RunState,
  type StepRecord,
} from "../domain/run.js";
import {
  abortByOperator,
  completeRun,
  completeWithExceptions,
  continueAfterManualStep,
  failRun,
  finishReobserving,
  pauseByOperator,
  pauseOnFailedStep,
  startRun,
  takeOverRun,
  waitForPerson,
} from "../domain/run-state/execute.js";
import { isRefused, type MoveContext, type RunChange, type RunMove } from "../domain/run-state/run-change.js";
import { isDrivable, isTerminal } from "../domain/run-state/states.js";
import { scopeLockKeys } from "../domain/scope.js";
import type { Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { RunObserver } from "../ports/run-observer.js";
import type { RunStore } from "../ports/run-store.js";
import { abortableDelay, isIdempotent, type StepServices } from "./step-kind.js";
import type { StepKindRegistry } from "./step-kinds/registry.js";
import { observeStep, runStepAttempt, StepAbort, type StepRunnerDeps } from "./step-runner.js";

export interface RunEngineOptions {
  store: RunStore;
  registry: StepKindRegistry;
  services: StepServices;
  config: Config;
  clock: Clock;
  /** Identifies this process as a lease holder (host, pid, random suffix). */
  ownerId: string;
  leaseTtlMs: number;
  maxParallelSteps: number;
  observer: RunObserver;
  /** Where failures nobody waits for are logged (lease renewals and releases, control polls). */
  log: Logger;
  /** How long the scope lock lives without renewal; renewed while the run executes. */
  scopeTtlMs: number;
  /** How often an executing run checks for an operator's abort or pause. */
  controlPollMs?: number;
  outputLimit?: number;
}

export type DriveOutcome =
  | { driven: true; state: RunState }
  | { driven: false; reason: "held" | "not_executable" | "lost_lease"; heldBy?: string; state?: RunState };

/**
 * Executes runs. `drive` takes a run's execution lease, moves it forward as far as it can go
 * (until it completes, fails, pauses or waits for a person) and releases the lease. Every
 * transition is persisted, fenced by the lease token, before observers hear of it. A process that
 * takes over a run whose owner died re-observes every step that was in flight before going on.
 */
export class RunEngine {
  private readonly active = new Map<string, Promise<DriveOutcome>>();
  private readonly shutdown = new AbortController();

  constructor(private readonly options: RunEngineOptions) {}

  get ownerId(): string {
    return this.options.ownerId;
  }

  /** Drives a run; concurrent calls for the same run in this process share one execution. */
  drive(runId: string): Promise<DriveOutcome> {
    const existing = this.active.get(runId);
    // Something changed while a pass was under way (a tick, a resume): run one more pass after it.
    if (existing) return existing.then(() => this.drive(runId));
    const execution = new RunExecution(this.options, runId, this.shutdown.signal)
      .start()
      .finally(() => this.active.delete(runId));
    this.active.set(runId, execution);
    return execution;
  }

  /** Runs this process is executing right now. */
  executing(): string[] {
    return [...this.active.keys()];
  }

  /** Stops every execution at its next step boundary without writing terminal states (another process resumes). */
  async stop(): Promise<void> {
    this.shutdown.abort(new StepAbort("shutdown"));
    await Promise.allSettled([...this.active.values()]);
  }
}

class RunExecution {
  private run!: RunRecord;
  private steps = new Map<string, StepRecord>();
  private token = "";
  private readonly abort = new AbortController();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly deps: StepRunnerDeps;
  private readonly planSteps: Map<string, PlanStep>;
  private pauseReason: string | undefined;
  private failReason: string | undefined;
  private operatorAbort: RunRecord["control"];
  private operatorPause: RunRecord["control"];
  private lostLease = false;
  private readonly reevaluated = new Set<string>();

  constructor(
    private readonly o: RunEngineOptions,
    private readonly runId: string,
    shutdown: AbortSignal,
  ) {
    this.deps = {
      config: o.config,
      clock: o.clock,
      services: o.services,
      outputLimit: o.outputLimit ?? 4000,
    };
    this.planSteps = new Map();
    shutdown.addEventListener("abort", () => this.abort.abort(new StepAbort("shutdown")), { once: true });
  }

  async start(): Promise<DriveOutcome> {
    const first = await this.o.store.getRun(this.runId);
    if (!first) throw new DrError("unknown_run", `no run ${this.runId}`);
    if (!isDrivable(first.state)) return { driven: false, reason: "not_executable", state: first.state };
    const claim = await this.o.store.claimLease(this.runId, this.o.ownerId, this.o.leaseTtlMs);
    if (!claim.ok) return { driven: false, reason: "held", heldBy: claim.heldBy };
    this.token = claim.token;
    const timers = this.startTimers();
    try {
      await this.load();
      if (!isDrivable(this.run.state))
        return { driven: false, reason: "not_executable", state: this.run.state };
      for (const step of this.run.plan.steps) this.planSteps.set(step.id, step);
      await this.execute();
      return { driven: true, state: this.run.state };
    } catch (error) {
      if (this.lostLease || isDrError(error, "lost_lease")) return { driven: false, reason: "lost_lease" };
      throw error;
    } finally {
      for (const t of timers) clearInterval(t);
      this.abort.abort(new StepAbort("shutdown"));
      await Promise.allSettled(this.inflight.values());
      if (!this.lostLease) {
        await this.o.store.releaseLease(this.runId, this.token).catch((err: unknown) =>
          // The lease lapses by itself within its TTL; until then nobody else can drive the run.
          this.o.log.warn("could not release the run's lease; it lapses by itself", {
            operation: "engine.release-lease",
            runId: this.runId,
            err,
          }),
        );
      }
    }
  }

  private startTimers(): NodeJS.Timeout[] {
    const renew = setInterval(
      () => {
        void this.renew();
      },
      Math.max(50, Math.floor(this.o.leaseTtlMs / 3)),
    );
    const control = setInterval(() => {
      void this.pollControl();
    }, this.o.controlPollMs ?? 1000);
    renew.unref();
    control.unref();
    return [renew, control];
  }

  private async renew(): Promise<void> {
    try {
      const ok = await this.o.store.renewLease(this.runId, this.token, this.o.leaseTtlMs);
      if (!ok) this.loseLease();
      else
        await this.o.store.renewScope(
          scopeLockKeys(this.run.scope, this.run.kind),
          this.runId,
          this.o.scopeTtlMs,
        );
    } catch (err) {
      // Retried on the next tick; the lease TTL leaves room for several. A lease that lapses meanwhile
      // is noticed by the next write, which is fenced by the token.
      this.o.log.warn("could not renew the run's lease or scope; retrying", {
        operation: "engine.renew-lease",
        runId: this.runId,
        err,
      });
    }
  }

  private loseLease(): void {
    this.lostLease = true;
    this.abort.abort(new StepAbort("lost_lease"));
  }

  private async pollControl(): Promise<void> {
    try {
      const fresh = await this.o.store.getRun(this.runId);
      if (fresh?.control) this.noteControl(fresh.control);
    } catch (err) {
      // Checked again on the next tick.
      this.o.log.warn("could not read the run for an operator's control; retrying", {
        operation: "engine.poll-control",
        runId: this.runId,
        err,
      });
    }
  }

  private noteControl(control: NonNullable<RunRecord["control"]>): void {
    if (control.action === "abort" && !this.operatorAbort) {
      this.operatorAbort = control;
      this.abort.abort(new StepAbort("operator_abort"));
    } else if (control.action === "pause" && !this.operatorPause) {
      this.operatorPause = control;
    }
  }

  private async load(): Promise<void> {
    const run = await this.o.store.getRun(this.runId);
    if (!run) throw new DrError("unknown_run", `no run ${this.runId}`);
    this.run = run;
    this.steps = await this.o.store.getSteps(this.runId);
    if (run.control) this.noteControl(run.control);
  }

  // ── persistence: write, then announce ──────────────────────────────────────────────────────────

  private event(type: RunEvent["type"], data: Record<string, unknown>, stepId?: string): RunEvent {
    return {
      type,
      at: this.o.clock.now(),
      actor: `engine:${this.o.ownerId}`,
      runId: this.runId,
      ...(stepId ? { stepId } : {}),
      data,
    };
  }

  private moveContext(): MoveContext {
    return { actor: `engine:${this.o.ownerId}`, now: this.o.clock.now() };
  }

  /**
   * Compare-and-set with re-reads: operators may write the run (ticks, control) while it executes.
   * `change` is asked again after every lost race; undefined means there is nothing to write.
   */
  private async saveRun(change: (run: RunRecord) => RunChange | undefined): Promise<boolean> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const decided = change(this.run);
      if (!decided) return false;
      const stamped = { ...decided.run, version: this.run.version + 1, updatedAt: this.o.clock.now() };
      const [event, ...rest] = decided.events;
      if (await this.guard(this.o.store.updateRun(stamped, this.run.version, event, this.token))) {
        this.run = stamped;
        for (const more of rest) await this.o.store.appendEvent(more);
        for (const ev of decided.events) this.o.observer.onRunEvent(ev, this.run, this.steps);
        return true;
      }
      const fresh = await this.o.store.getRun(this.runId);
      if (!fresh) throw new DrError("unknown_run", `run ${this.runId} disappeared`);
      this.run = fresh;
      this.steps = await this.o.store.getSteps(this.runId);
      if (fresh.control) this.noteControl(fresh.control);
    }
    throw new DrError("conflict", `run ${this.runId} kept changing under the engine`);
  }

  /**
   * A state change, decided by the state machine (src/domain/run-state/execute.ts). A refusal means
   * the run moved on under this executor (already in that state, or ended): nothing is written.
   */
  private async move(decide: (run: RunRecord, ctx: MoveContext) => RunMove): Promise<boolean> {
    return this.saveRun((run) => {
      const decided = decide(run, this.moveContext());
      return isRefused(decided) ? undefined : decided;
    });
  }

  /** A change of the run that is not a state change (RTO bookkeeping). */
  private async note(
    change: (run: RunRecord) => RunRecord | undefined,
    data: Record<string, unknown>,
  ): Promise<boolean> {
    return this.saveRun((run) => {
      const next = change(run);
      return next ? { run: next, events: [this.event("run.note", data)] } : undefined;
    });
  }

  private async saveStep(
    record: StepRecord,
    type: RunEvent["type"] = "step.state",
    data: Record<string, unknown> = {},
  ): Promise<void> {
    const ev = this.event(
      type,
      {
        status: record.status,
        attempt: record.attempts,
        ...(record.error ? { error: record.error } : {}),
        ...data,
      },
      record.id,
    );
    await this.guard(this.o.store.putStep(this.runId, record, ev, this.token));
    this.steps.set(record.id, record);
    this.o.observer.onRunEvent(ev, this.run, this.steps);
  }

  private async guard<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (error) {
      if (isDrError(error, "lost_lease")) this.loseLease();
      throw error;
    }
  }

  // ── execution ──────────────────────────────────────────────────────────────────────────────────

  private async execute(): Promise<void> {
    if (this.run.state === "approved") await this.move(startRun);
    if (!(await this.reobserveInterrupted())) return;
    if (this.run.state === "interrupted") await this.move(finishReobserving);

    while (!this.lostLease) {
      if (this.operatorAbort) break;
      this.launchReady();
      if (this.inflight.size === 0) break;
      await Promise.race(this.inflight.values());
    }
    await Promise.allSettled(this.inflight.values());
    if (this.lostLease) throw new DrError("lost_lease", `lost the lease of ${this.runId}`);
    await this.settle();
  }

  /**
   * After a takeover: steps left `running` by the dead owner are asked whether their effect holds.
   * Holds → succeeded (observed). Does not hold → run again. Unknown → run again only if repeating is
   * harmless; otherwise the run pauses for a person. Returns false when the run paused.
   */
  private async reobserveInterrupted(): Promise<boolean> {
    const stranded = [...this.steps.values()].filter((s) => s.status === "running");
    if (stranded.length === 0) return true;
    if (this.run.state !== "interrupted") {
      // The takeover is a state transition like any other: its event says into which state and why,
      // so the audit trail and the surfaces see the run interrupted, not only "taken over".
      const inFlight = stranded.map((s) => s.id);
      await this.move((run, ctx) => takeOverRun(run, { owner: this.o.ownerId, inFlight }, ctx));
    }
    const unverifiable: string[] = [];
    for (const record of stranded) {
      const step = this.planSteps.get(record.id)!;
      const kind = this.o.registry.get(step.kind);
      const observation = kind
        ? await observeStep(this.deps, kind, this.run, step, record, this.abort.signal)
        : { holds: "unknown" as const, evidence: `unknown step kind ${step.kind}` };
      if (observation.holds === true) {
        await this.saveStep(
          {
            ...record,
            status: "succeeded",
            endedAt: this.o.clock.now(),
            resolvedBy: "observed",
            output: `observed after takeover: ${observation.evidence}`,
          },
          "step.observed",
          { holds: true, evidence: observation.evidence },
        );
      } else if (observation.holds === false || (kind && isIdempotent(kind, step.params))) {
        await this.saveStep(
          {
            ...record,
            status: "not_started",
            resolvedBy: "observed",
            output: `observed after takeover: ${observation.evidence}; running it again`,
          },
          "step.observed",
          { holds: observation.holds, evidence: observation.evidence },
        );
      } else {
        unverifiable.push(step.id);
        await this.saveStep(
          {
            ...record,
            status: "failed",
            endedAt: this.o.clock.now(),
            resolvedBy: "observed",
            error: `interrupted, and whether it took effect is unknown (${observation.evidence}); check by hand, then resume to repeat it or skip it`,
          },
          "step.observed",
          { holds: "unknown", evidence: observation.evidence },
        );
      }
    }
    if (unverifiable.length > 0) {
      const reason = `interrupted step(s) need a person: ${unverifiable.join(", ")}`;
      await this.move((run, ctx) => pauseOnFailedStep(run, { reason }, ctx));
      return false;
    }
    return true;
  }

  private launchReady(): void {
    if (this.pauseReason || this.failReason || this.operatorPause || this.abort.signal.aborted) return;
    for (const step of this.run.plan.steps) {
      if (this.inflight.size >= this.o.maxParallelSteps) return;
      if (this.inflight.has(step.id) || !this.isReady(step)) continue;
      if (!this.groupHasRoom(step)) continue;
      const work = this.runStep(step)
        .catch((error) => {
          if (!isDrError(error, "lost_lease"))
            this.failReason = `engine error in ${step.id}: ${error instanceof Error ? error.message : String(error)}`;
        })
        .finally(() => this.inflight.delete(step.id));
      this.inflight.set(step.id, work);
    }
  }

  private isReady(step: PlanStep): boolean {
    const record = this.steps.get(step.id);
    if (!record) return false;
    const runnable =
      record.status === "not_started" || (record.status === "waiting" && !this.reevaluated.has(step.id));
    if (!runnable) return false;
    return step.needs.every((need) => {
      const dep = this.steps.get(need);
      if (!dep) return false;
      if (dep.status === "succeeded" || dep.status === "skipped") return true;
      return (
        (dep.status === "failed" || dep.status === "timed_out") &&
        this.planSteps.get(need)?.onFailure === "continue"
      );
    });
  }

  private groupHasRoom(step: PlanStep): boolean {
    if (!step.group || !step.concurrency) return true;
    let running = 0;
    for (const id of this.inflight.keys()) if (this.planSteps.get(id)?.group === step.group) running++;
    return running < step.concurrency;
  }

  private async runStep(step: PlanStep): Promise<void> {
    const kind = this.o.registry.get(step.kind);
    let record = this.steps.get(step.id)!;
    if (record.status === "waiting") {
      await this.reevaluateWaiting(step, record);
      return;
    }
    if (this.run.state === "waiting_manual") await this.move(continueAfterManualStep);
    await this.markRtoPhase(step);
    if (!kind) {
      await this.saveStep({
        ...record,
        status: "failed",
        endedAt: this.o.clock.now(),
        error: `unknown step kind ${step.kind}`,
      });
      this.onStepFailed(step, `unknown step kind ${step.kind}`);
      return;
    }
    for (;;) {
      record = {
        ...record,
        status: "running",
        attempts: record.attempts + 1,
        startedAt: this.o.clock.now(),
        endedAt: undefined,
        error: undefined,
        resolvedBy: "executed",
      };
      await this.saveStep(record);
      const outcome = await runStepAttempt(this.deps, kind, this.run, step, record, this.abort.signal);
      if (outcome.cause === "lost_lease" || outcome.cause === "shutdown") return; // another executor re-observes it
      const finished: StepRecord = {
        ...record,
        status: outcome.status,
        output: outcome.output,
        ...(outcome.error ? { error: outcome.error } : {}),
        endedAt: this.o.clock.now(),
      };
      if (outcome.status === "succeeded" || outcome.status === "waiting") {
        await this.saveStep(outcome.status === "waiting" ? { ...finished, endedAt: undefined } : finished);
        return;
      }
      const retryable = outcome.cause === undefined || outcome.cause === "deadline";
      if (retryable && record.attempts <= step.retries && !this.operatorAbort) {
        await this.saveStep(
          {
            ...record,
            output: outcome.output,
            error: `attempt ${record.attempts} ${outcome.status}: ${outcome.error}; retrying`,
          },
          "step.state",
          { retrying: true },
        );
        try {
          await abortableDelay(step.retryDelayMs, this.abort.signal);
        } catch {
          // The run was stopped while waiting to retry (abort, lost lease, shutdown): settle decides.
          return;
        }
        continue;
      }
      await this.saveStep(finished);
      this.onStepFailed(
        step,
        `${step.id} ${outcome.status === "timed_out" ? "timed out" : "failed"}: ${outcome.error ?? "no detail"}`,
      );
      return;
    }
  }

  /**
   * Manual steps (checklists, gates) are re-evaluated on every pass. They have no side effects, so
   * nothing is written unless the answer changed: no "running" noise in the timeline per tick.
   */
  private async reevaluateWaiting(step: PlanStep, stale: StepRecord): Promise<void> {
    this.reevaluated.add(step.id);
    // People tick while we run: judge the step on the attestations stored now.
    const record = (await this.o.store.getSteps(this.runId)).get(step.id) ?? stale;
    const kind = this.o.registry.get(step.kind);
    if (!kind) return;
    const outcome = await runStepAttempt(this.deps, kind, this.run, step, record, this.abort.signal);
    if (outcome.status === "waiting") {
      if (outcome.output !== record.output) await this.saveStep({ ...record, output: outcome.output });
      return;
    }
    if (this.run.state === "waiting_manual") await this.move(continueAfterManualStep);
    const finished: StepRecord = {
      ...record,
      status: outcome.status,
      output: outcome.output,
      endedAt: this.o.clock.now(),
      ...(outcome.error ? { error: outcome.error } : {}),
    };
    await this.saveStep(finished);
    if (outcome.status !== "succeeded")
      this.onStepFailed(step, `${step.id} failed: ${outcome.error ?? "no detail"}`);
  }

  private onStepFailed(step: PlanStep, reason: string): void {
    if (this.operatorAbort) return;
    if (step.onFailure === "pause") this.pauseReason ??= reason;
    else if (step.onFailure === "abort") this.failReason ??= reason;
  }

  /** RTO bookkeeping: activation starts with the first activation step, validation with the first validation step. */
  private async markRtoPhase(step: PlanStep): Promise<void> {
    const now = this.o.clock.now();
    if (step.rtoPhase === "activation" && this.run.rto.activationStartedAt === undefined) {
      await this.note(
        (run) =>
          run.rto.activationStartedAt === undefined
            ? { ...run, rto: { ...run.rto, activationStartedAt: now } }
            : undefined,
        { rto: "activation_started" },
      );
    }
    if (step.rtoPhase === "validation" && this.run.rto.activationEndedAt === undefined) {
      await this.note(
        (run) =>
          run.rto.activationEndedAt === undefined
            ? {
                ...run,
                rto: {
                  ...run.rto,
                  activationStartedAt: run.rto.activationStartedAt ?? now,
                  activationEndedAt: now,
                },
              }
            : undefined,
        { rto: "validation_started" },
      );
    }
  }

  /** Decides where the run stands once nothing is in flight, and persists it. */
  private async settle(): Promise<void> {
    // Ticks may have landed while we ran: read the steps again before deciding.
    this.steps = await this.o.store.getSteps(this.runId);
    const now = this.o.clock.now();
    // Decide from what is persisted, not only from this pass: a failure recorded by a previous
    // executor that died before acting on it still pauses or aborts the run.
    for (const step of this.run.plan.steps) {
      const record = this.steps.get(step.id);
      if (!record || (record.status !== "failed" && record.status !== "timed_out")) continue;
      const reason = `${step.id} ${record.status === "timed_out" ? "timed out" : "failed"}: ${record.error ?? "no detail"}`;
      if (step.onFailure === "abort") this.failReason ??= reason;
      else if (step.onFailure === "pause") this.pauseReason ??= reason;
    }
    const abort = this.operatorAbort;
    if (abort) {
      await this.finishTerminal((run, ctx) => abortByOperator(run, { control: abort }, ctx));
      return;
    }
    const failReason = this.failReason;
    if (failReason) {
      await this.compensate();
      await this.finishTerminal((run, ctx) => failRun(run, { reason: failReason }, ctx));
      return;
    }
    const pauseReason = this.pauseReason;
    if (pauseReason) {
      await this.move((run, ctx) => pauseOnFailedStep(run, { reason: pauseReason }, ctx));
      return;
    }
    const pause = this.operatorPause;
    if (pause) {
      await this.move((run, ctx) => pauseByOperator(run, { control: pause }, ctx));
      return;
    }
    const records = this.run.plan.steps.map((s) => this.steps.get(s.id)!);
    if (records.some((r) => r.status === "waiting")) {
      // One compare-and-set, no blind retry: if anything changed since we read (a tick bumps the
      // run's version), evaluate the manual steps again instead of going to sleep on stale data.
      const waitingOn = records.filter((r) => r.status === "waiting").map((r) => r.id);
      if (this.run.state === "waiting_manual") return;
      const waiting = waitForPerson(this.run, { waitingOn }, this.moveContext());
      if (isRefused(waiting)) return;
      const next: RunRecord = { ...waiting.run, version: this.run.version + 1, updatedAt: now };
      const [ev] = waiting.events;
      if (await this.guard(this.o.store.updateRun(next, this.run.version, ev, this.token))) {
        this.run = next;
        for (const event of waiting.events) this.o.observer.onRunEvent(event, this.run, this.steps);
        return;
      }
      await this.load();
      this.reevaluated.clear();
      await this.execute();
      return;
    }
    if (records.every((r) => isStepFinished(r.status))) {
      const exceptions = records
        .filter((r) => r.status === "failed" || r.status === "timed_out")
        .map((r) => r.id);
      const rto = {
        ...this.run.rto,
        activationStartedAt: this.run.rto.activationStartedAt ?? now,
        activationEndedAt: this.run.rto.activationEndedAt ?? now,
        validationEndedAt: now,
      };
      await this.finishTerminal((run, ctx) =>
        exceptions.length > 0
          ? completeWithExceptions(run, { rto, exceptions }, ctx)
          : completeRun(run, { rto }, ctx),
      );
      return;
    }
    const stuck = records.filter((r) => r.status === "not_started").map((r) => r.id);
    const reason = `steps cannot start because what they need did not succeed: ${stuck.slice(0, 10).join(", ")}`;
    await this.move((run, ctx) => pauseOnFailedStep(run, { reason }, ctx));
  }

  private async finishTerminal(decide: (run: RunRecord, ctx: MoveContext) => RunMove): Promise<void> {
    await this.move(decide);
    if (isTerminal(this.run.state)) {
      await this.o.store.releaseScope(scopeLockKeys(this.run.scope, this.run.kind), this.runId);
    }
  }

  /** On a failure that aborts the run, undo what succeeded (newest first) where the runbook says how. */
  private async compensate(): Promise<void> {
    const done = this.run.plan.steps
      .filter((s) => s.undo && this.steps.get(s.id)?.status === "succeeded" && !this.steps.get(s.id)?.undone)
      .map((step, index) => ({ step, index }))
      .sort(
        (a, b) =>
          (this.steps.get(b.step.id)?.endedAt ?? 0) - (this.steps.get(a.step.id)?.endedAt ?? 0) ||
          b.index - a.index,
      )
      .map(({ step }) => step);
    for (const step of done) {
      const undo = step.undo!;
      const kind = this.o.registry.get(undo.kind);
      const record = this.steps.get(step.id)!;
      if (!kind) continue;
      const undoStep: PlanStep = {
        ...step,
        id: `${step.id}.undo`,
        kind: undo.kind,
        params: undo.params,
        timeoutMs: undo.timeoutMs,
      };
      const outcome = await runStepAttempt(
        this.deps,
        kind,
        this.run,
        undoStep,
        record,
        new AbortController().signal,
      );
      await this.saveStep(
        {
          ...record,
          undone: outcome.status === "succeeded",
          output: `${record.output ?? ""}\nundo: ${outcome.status}${outcome.error ? ` (${outcome.error})` : ""}`,
        },
        "step.state",
        { undo: outcome.status },
      );
    }
  }
}
