import { DrError } from "../domain/errors.js";
import type { RunEvent, RunRecord, StepRecord } from "../domain/run.js";
import { isRefused, type RunChange, type RunMove } from "../domain/run-state/run-change.js";
import type { Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { RunObserver } from "../ports/run-observer.js";
import type { RunStore } from "../ports/run-store.js";
import type { Actors } from "./actors.js";

/**
 * The stream id of refusals that belong to no run's trail: bad input that never reached a run, and
 * people with no role on the run they tried to act on (RunStore.appendAudit, capped).
 */
export const AUDIT_STREAM = "_audit";

const RUN_ID = /^[a-z0-9-]{1,64}$/;
/** Compare-and-set attempts before a person is told to try again (each attempt re-reads the run). */
const MAX_ATTEMPTS = 100;

export interface RunWriterDeps {
  store: RunStore;
  clock: Clock;
  observer: RunObserver;
  log: Logger;
  actors: Actors;
}

/** What a use case asks the state machine, given the run and its steps as stored now. */
export type Decide = (run: RunRecord, now: number, steps: ReadonlyMap<string, StepRecord>) => RunMove;

/**
 * The one way the use cases change a run: read it, let the state machine decide, and write the
 * decision with compare-and-set by version, its events atomically with it; a lost race reads again
 * and decides again. Every refusal goes into the run's audit trail before the person hears of it,
 * and observers hear of a change only once it is stored.
 */
export class RunWriter {
  constructor(private readonly d: RunWriterDeps) {}

  /** The run, or `invalid_input` / `unknown_run` for an id that is malformed or unknown. */
  async load(runId: string): Promise<RunRecord> {
    if (!RUN_ID.test(runId)) throw new DrError("invalid_input", `"${runId.slice(0, 40)}" is not a run id`);
    const run = await this.d.store.getRun(runId);
    if (run) return run;
    if ((await this.d.store.readArchive(runId)) !== undefined)
      throw new DrError(
        "unknown_run",
        `run ${runId} finished long ago and was retired; its report is kept: \`report ${runId}\``,
      );
    throw new DrError("unknown_run", `no run ${runId}; see \`runs\` for recent ones`);
  }

  /**
   * Applies the state machine's decision to the run. `withSteps` reads the step records for moves
   * that judge them (resume, skip, tick). Throws the refusal (audited) when the move is refused.
   */
  async apply(
    runId: string,
    actor: string,
    decide: Decide,
    options: { withSteps?: boolean } = {},
  ): Promise<RunRecord> {
    let attested = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const run = await this.load(runId);
      const steps = options.withSteps ? await this.d.store.getSteps(runId) : new Map<string, StepRecord>();
      const now = this.d.clock.now();
      const move = decide(run, now, steps);
      if (isRefused(move)) throw await this.refuse(runId, actor, move);
      for (const a of move.attestations ?? [])
        if (await this.d.store.addAttestation(runId, a.stepId, a.attestation, a.event)) attested = true;
      if (move.onlyIfAttested && !attested) return run;
      for (const s of move.steps ?? []) await this.d.store.putStep(runId, s.record, s.event);
      const next: RunRecord = { ...move.run, version: run.version + 1, updatedAt: now };
      const [first, ...rest] = move.events;
      if (!(await this.d.store.updateRun(next, run.version, first))) continue;
      for (const event of rest) await this.d.store.appendEvent(event);
      await this.announce(move, next);
      if (move.refusal) throw await this.refuse(runId, actor, move.refusal);
      return next;
    }
    throw new DrError("conflict", `run ${runId} is changing too fast; try again`);
  }

  /** Writes a new run with its steps and its first event. */
  async create(change: RunChange, steps: StepRecord[]): Promise<void> {
    const [first, ...rest] = change.events;
    if (!first) throw new DrError("internal", `run ${change.run.id} was opened without an event`);
    await this.d.store.createRun(change.run, steps, first);
    for (const event of rest) await this.d.store.appendEvent(event);
    this.d.observer.onRunEvent(first, change.run, new Map());
  }

  /**
   * Records a refusal and returns it for the caller to throw. It joins the run's trail only when the
   * actor has a role on that run (its requester, or an approver of its kind); refusals of anyone
   * else, and those that belong to no run, go to the capped audit stream, so a stranger clicking
   * cannot grow a run's trail. A store that cannot record it is logged: the refusal still stands.
   */
  async refuse(
    streamId: string,
    actor: string,
    error: DrError,
    data: Record<string, unknown> = {},
  ): Promise<DrError> {
    const event: RunEvent = {
      type: "run.refusal",
      at: this.d.clock.now(),
      actor,
      runId: streamId,
      data: { code: error.code, message: error.message, ...data },
    };
    try {
      if (await this.hasRole(streamId, actor)) await this.d.store.appendEvent(event);
      else await this.d.store.appendAudit(event);
    } catch (err) {
      this.d.log.warn("could not record a refusal in the audit trail", {
        operation: "service.refuse",
        ...(streamId === AUDIT_STREAM ? {} : { runId: streamId }),
        code: error.code,
        err,
      });
    }
    return error;
  }

  private async hasRole(runId: string, actor: string): Promise<boolean> {
    if (runId === AUDIT_STREAM) return false;
    const run = await this.d.store.getRun(runId);
    if (!run) return false;
    return (
      actor === run.requestedBy || (await this.d.actors.of(actor, run.kind, { role: "approver" })).approver
    );
  }

  /** Observers hear of the attestations and the run's events, in that order, once all are stored. */
  private async announce(move: RunChange, run: RunRecord): Promise<void> {
    const touchedSteps = (move.attestations?.length ?? 0) + (move.steps?.length ?? 0) > 0;
    const steps = touchedSteps
      ? await this.d.store.getSteps(run.id).catch((err: unknown) => {
          // The change is stored; observers read the steps again with the next event.
          this.d.log.warn("could not read the steps to announce a change", {
            operation: "run.announce",
            runId: run.id,
            err,
          });
          return new Map<string, StepRecord>();
        })
      : new Map<string, StepRecord>();
    for (const a of move.attestations ?? []) this.d.observer.onRunEvent(a.event, run, steps);
    for (const event of move.events) this.d.observer.onRunEvent(event, run, steps);
  }
}
