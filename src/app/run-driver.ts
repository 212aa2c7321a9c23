import type { DriveOutcome } from "../engine/run-engine.js";
import type { Logger } from "../ports/logger.js";

/** How often, and how many times, a person's act retries a run another process holds (30 s). */
const HELD_RETRY_MS = 100;
const HELD_RETRIES = 300;

export interface RunDriverDeps {
  engine: { drive(runId: string): Promise<DriveOutcome> };
  log: Logger;
  /**
   * Start executing a run as soon as it is approved (the bot). The CLI turns this off and drives
   * runs in the foreground instead, so a terminal that exits never leaves a step half done.
   */
  autoStart: boolean;
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
    void this.d.engine.drive(runId).catch((err: unknown) => this.failed(runId, operation, err));
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

  private failed(runId: string, operation: string, err: unknown): void {
    this.d.log.error("executing the run failed; the supervisor drives it again if it is still executing", {
      operation,
      runId,
      err,
    });
  }
}
