import { DrError } from "../domain/errors.js";
import type { RunEvent, RunRecord, StepRecord } from "../domain/run.js";
import { isRefused, type MoveContext, type RunChange, type RunMove } from "../domain/run-state/run-change.js";
import type { Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { RunObserver } from "../ports/run-observer.js";
import type { RunStore } from "../ports/run-store.js";
import { lostStepWrites } from "./lost-step-writes.js";
import type { OperatorControls } from "./operator-controls.js";
import type { RunLease } from "./run-lease.js";

/** Compare-and-set attempts before the executor gives up on a run that keeps changing under it. */
const MAX_ATTEMPTS = 50;

export interface RunRecorderOptions {
  store: RunStore;
  clock: Clock;
  observer: RunObserver;
  ownerId: string;
  log: Logger;
}

/**
 * The executor's view of one run and the only way it writes it: every write is fenced by the lease
 * token and persisted before observers hear of it (write, then announce). State changes are the
 * state machine's moves (src/domain/run-state/execute.ts); a lost race re-reads the run and asks the
 * state machine again, since operators write the run (ticks, controls) while it executes.
 */
export class RunRecorder {
  private current: RunRecord | undefined;
  private records = new Map<string, StepRecord>();
  /** Every step record this executor wrote in this pass, as it wrote it (src/engine/lost-step-writes.ts). */
  private readonly written = new Map<string, StepRecord>();

  constructor(
    private readonly o: RunRecorderOptions,
    private readonly runId: string,
    private readonly lease: RunLease,
    private readonly controls: OperatorControls,
  ) {}

  get run(): RunRecord {
    if (!this.current) throw new DrError("internal", `run ${this.runId} was not loaded`);
    return this.current;
  }

  get steps(): ReadonlyMap<string, StepRecord> {
    return this.records;
  }

  get actor(): string {
    return `engine:${this.o.ownerId}`;
  }

  /** Reads the run and its steps as stored now, and notes an operator's control on it. */
  async load(): Promise<RunRecord> {
    const run = await this.lease.read(() => this.o.store.getRun(this.runId));
    if (!run) throw new DrError("unknown_run", `no run ${this.runId}`);
    this.current = run;
    this.records = await this.readSteps();
    this.controls.note(run.control);
    return run;
  }

  /** Reads the steps again (people tick while the run executes). */
  async reloadSteps(): Promise<ReadonlyMap<string, StepRecord>> {
    this.records = await this.readSteps();
    return this.records;
  }

  /** The steps as stored, with what a Redis failover lost of this pass's own writes written again. */
  private async readSteps(): Promise<Map<string, StepRecord>> {
    const stored = await this.lease.read(() => this.o.store.getSteps(this.runId));
    for (const mine of lostStepWrites(stored, this.written)) {
      const was = stored.get(mine.id);
      this.o.log.warn(
        "a step record this executor wrote is no longer in Redis (a failover lost an acknowledged write); writing it again",
        {
          operation: "engine.lost-step-write",
          runId: this.runId,
          stepId: mine.id,
          stored: was ? `${was.status} (attempt ${was.attempts})` : "none",
          written: `${mine.status} (attempt ${mine.attempts})`,
        },
      );
      const record = was?.attestations ? { ...mine, attestations: was.attestations } : mine;
      const event = this.event(
        "step.state",
        { status: mine.status, attempt: mine.attempts, rewritten: true },
        mine.id,
      );
      await this.lease.fenced(() => this.o.store.putStep(this.runId, record, event, this.lease.token));
      stored.set(mine.id, record);
    }
    return stored;
  }

  event(type: RunEvent["type"], data: Record<string, unknown>, stepId?: string): RunEvent {
    return {
      type,
      at: this.o.clock.now(),
      actor: this.actor,
      runId: this.runId,
      ...(stepId ? { stepId } : {}),
      data,
    };
  }

  /**
   * A state change decided by the state machine. A refusal means the run moved on under this
   * executor (already in that state, or ended): nothing is written. True when it was written.
   */
  move(decide: (run: RunRecord, ctx: MoveContext) => RunMove): Promise<boolean> {
    return this.save((run) => {
      const decided = decide(run, { actor: this.actor, now: this.o.clock.now() });
      return isRefused(decided) ? undefined : decided;
    });
  }

  /**
   * The same, tried once: "changed" when the run changed since it was read (the caller reads it
   * again and decides anew rather than acting on what a person just changed).
   */
  async moveOnce(
    decide: (run: RunRecord, ctx: MoveContext) => RunMove,
  ): Promise<"written" | "refused" | "changed"> {
    const decided = decide(this.run, { actor: this.actor, now: this.o.clock.now() });
    if (isRefused(decided)) return "refused";
    return (await this.write(decided)) ? "written" : "changed";
  }

  /** A change of the run that is not a state change (RTO bookkeeping). */
  note(change: (run: RunRecord) => RunRecord | undefined, data: Record<string, unknown>): Promise<boolean> {
    return this.save((run) => {
      const next = change(run);
      return next ? { run: next, events: [this.event("run.note", data)] } : undefined;
    });
  }

  /** Writes one step's record with its event, fenced by the lease. */
  async saveStep(
    record: StepRecord,
    type: RunEvent["type"] = "step.state",
    data: Record<string, unknown> = {},
  ): Promise<void> {
    const event = this.event(
      type,
      {
        status: record.status,
        attempt: record.attempts,
        ...(record.error ? { error: record.error } : {}),
        ...(record.outcome !== undefined ? { outcome: record.outcome } : {}),
        ...data,
      },
      record.id,
    );
    await this.lease.fenced(() => this.o.store.putStep(this.runId, record, event, this.lease.token));
    this.records.set(record.id, record);
    this.written.set(record.id, record);
    this.o.observer.onRunEvent(event, this.run, this.records);
  }

  /** Compare-and-set with re-reads; `change` is asked again after every lost race. */
  private async save(change: (run: RunRecord) => RunChange | undefined): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const decided = change(this.run);
      if (!decided) return false;
      if (await this.write(decided)) return true;
      await this.load();
    }
    throw new DrError("conflict", `run ${this.runId} kept changing under the engine`);
  }

  private async write(decided: RunChange): Promise<boolean> {
    const before = this.run;
    const next = { ...decided.run, version: before.version + 1, updatedAt: this.o.clock.now() };
    const [first, ...rest] = decided.events;
    const written = await this.lease.fenced(() =>
      this.o.store.updateRun(next, before.version, first, this.lease.token),
    );
    if (!written) return false;
    this.current = next;
    for (const event of rest) await this.lease.fenced(() => this.o.store.appendEvent(event));
    for (const event of decided.events) this.o.observer.onRunEvent(event, next, this.records);
    return true;
  }
}
