import type { DriveOutcome } from "../engine/run-engine.js";
import type { Logger } from "../ports/logger.js";
import type { RunStore } from "../ports/run-store.js";

/** How often, and how many times, a person's act retries a run another process holds (30 s). */
const HELD_RETRY_MS = 100;
const HELD_RETRIES = 300;
/** How long a pass asked of the other replicas waits for one (a drain lasts well under this). */
const PASS_REQUEST_TTL_MS = 15 * 60_000;

/**
 * The key that asks the other replicas' supervisors for a pass of a run parked for a person
 * (waiting_manual), which they otherwise leave alone: a person acted on it here while this process
 * was draining, so the pass that judges the act falls to them.
 */
export function passRequestKey(runId: string): string {
  return `pass-requested:${runId}`;
}

export interface RunDriverDeps {
  engine: { drive(runId: string): Promise<DriveOutcome> };
  log: Logger;
  /**
   * Start executing a run as soon as it is approved (the bot). The CLI turns this off and drives
   * runs in the foreground instead, so a terminal that exits never leaves a step half done.
   */
  autoStart: boolean;
  /** Where a pass this process cannot make (it drains) is asked of the others. */
  store?: Pick<RunStore, "kvSet">;
}

/**
 * Drives runs in the background after a use case changed them. The engine's failures cannot reach
 * the person who acted (they have their answer already): they are logged with the run and what
 * started the drive.
 */
export class RunDriver {
  constructor(private readonly d: RunDriverDeps) {}

  /** Starts executing an approved (or abandoned) run. */
  start(runId: string, operation: string): void {
    if (!this.d.autoStart) return;
    void this.d.engine
      .drive(runId)
      .then((outcome) =>
        !outcome.driven && outcome.reason === "draining" ? this.askOthers(runId, operation) : undefined,
      )
      .catch((err: unknown) => this.failed(runId, operation, err));
  }

  /**
   * Drives the run after a person acted (tick, resume, skip, abort). If another process holds the
   * lease at that instant, tries again until it lets go (bounded), so the act is never lost between
   * two executors.
   */
  soon(runId: string, operation: string): void {
    if (!this.d.autoStart) return;
    const attempt = async (left: number): Promise<void> => {
      let outcome: DriveOutcome;
      try {
        outcome = await this.d.engine.drive(runId);
      } catch (err) {
        this.failed(runId, operation, err);
        return;
      }
      if (!outcome.driven && outcome.reason === "draining") {
        await this.askOthers(runId, operation);
        return;
      }
      if (!outcome.driven && outcome.reason === "held") {
        if (left > 0) setTimeout(() => void attempt(left - 1), HELD_RETRY_MS).unref();
        else
          this.d.log.warn("another executor kept the run; its own pass will see the change", {
            operation,
            runId,
            heldBy: outcome.heldBy,
          });
      }
    };
    void attempt(HELD_RETRIES);
  }

  /**
   * This process drains and starts nothing: the act is stored, and the pass that judges it is asked
   * of the other replicas (their supervisor takes over a running run by itself, and drives a parked
   * one when asked this way).
   */
  private async askOthers(runId: string, operation: string): Promise<void> {
    try {
      await this.d.store?.kvSet(passRequestKey(runId), operation, { ttlMs: PASS_REQUEST_TTL_MS });
      this.d.log.info("this process is draining: the run is left to another replica", { operation, runId });
    } catch (err) {
      this.d.log.error(
        "this process is draining and could not hand the person's act over; the run waits for the next act on it",
        { operation, runId, err },
      );
    }
  }

  private failed(runId: string, operation: string, err: unknown): void {
    this.d.log.error("executing the run failed; the supervisor drives it again if it is still executing", {
      operation,
      runId,
      err,
    });
  }
}
