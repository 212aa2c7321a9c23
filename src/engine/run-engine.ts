import type { Config } from "../domain/config.js";
import type { RunState } from "../domain/run.js";
import type { Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { RunObserver } from "../ports/run-observer.js";
import type { RunStore } from "../ports/run-store.js";
import type { RunEvidenceCheck } from "./evidence-gate.js";
import { RunExecution } from "./run-execution.js";
import type { StepServices } from "./step-kind.js";
import type { StepKindRegistry } from "./step-kinds/registry.js";
import { StepAbort } from "./step-runner.js";

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
  /**
   * Checks a run's proofs before it is started and before every step (src/engine/evidence-gate.ts).
   * The runtime always gives it; only tests of the executor's own mechanics leave it out.
   */
  evidence?: RunEvidenceCheck;
}

export type DriveOutcome =
  | { driven: true; state: RunState }
  | {
      driven: false;
      reason: "held" | "not_executable" | "lost_lease" | "draining" | "refused" | "unverifiable";
      heldBy?: string;
      state?: RunState;
    };

/**
 * Executes runs. `drive` takes a run's execution lease, moves it forward as far as it can go
 * (until it completes, fails, pauses or waits for a person) and releases the lease. Every
 * transition is persisted, fenced by the lease token, before observers hear of it. A process that
 * takes over a run whose owner died re-observes every step that was in flight before going on.
 */
export class RunEngine {
  private readonly active = new Map<string, Promise<DriveOutcome>>();
  private readonly shutdown = new AbortController();
  private readonly draining = new AbortController();

  constructor(private readonly options: RunEngineOptions) {}

  get ownerId(): string {
    return this.options.ownerId;
  }

  /** Drives a run; concurrent calls for the same run in this process share one execution. */
  drive(runId: string): Promise<DriveOutcome> {
    if (this.draining.signal.aborted) return Promise.resolve({ driven: false, reason: "draining" });
    const existing = this.active.get(runId);
    // Something changed while a pass was under way (a tick, a resume): run one more pass after it.
    if (existing) return existing.then(() => this.drive(runId));
    const execution = new RunExecution(this.options, runId, this.shutdown.signal, this.draining.signal)
      .start()
      .finally(() => this.active.delete(runId));
    this.active.set(runId, execution);
    return execution;
  }

  /** Runs this process is executing right now. */
  executing(): string[] {
    return [...this.active.keys()];
  }

  /**
   * A graceful stop (SIGTERM): no run and no step starts from now on, the steps in flight may
   * finish within `graceMs`, and each run is then left where it stands, its lease released, for
   * another process to carry on at once (nothing to re-observe). Whatever still runs after the grace
   * period is stopped as by `stop`, and re-observed by the next executor.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.active.values()]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    await this.stop();
  }

  /** Stops every execution at its next step boundary without writing terminal states (another process resumes). */
  async stop(): Promise<void> {
    this.shutdown.abort(new StepAbort("shutdown"));
    await Promise.allSettled([...this.active.values()]);
  }
}
