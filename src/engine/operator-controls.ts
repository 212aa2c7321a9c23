import type { RunRecord } from "../domain/run.js";
import type { Logger } from "../ports/logger.js";
import type { RunStore } from "../ports/run-store.js";

export type Control = NonNullable<RunRecord["control"]>;

/**
 * An operator's abort or pause of a run this process executes: the use cases write it on the run
 * (src/domain/run-state/control.ts); the executor reads it every `pollMs` and at every re-read. An
 * abort stops the steps in flight at once (`onAbort`); a pause lets them finish and starts no more.
 */
export class OperatorControls {
  private abortControl: Control | undefined;
  private pauseControl: Control | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: { store: RunStore; log: Logger; pollMs: number },
    private readonly runId: string,
    private readonly onAbort: () => void,
  ) {}

  /** The abort asked for, once seen. */
  get abort(): Control | undefined {
    return this.abortControl;
  }

  /** The pause asked for, once seen. */
  get pause(): Control | undefined {
    return this.pauseControl;
  }

  /** Notes what the run carries; the first abort and the first pause count. */
  note(control: RunRecord["control"]): void {
    if (control?.action === "abort" && !this.abortControl) {
      this.abortControl = control;
      this.onAbort();
    } else if (control?.action === "pause" && !this.pauseControl) {
      this.pauseControl = control;
    }
  }

  startPolling(): void {
    this.timer = setInterval(() => void this.poll(), this.o.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    try {
      const fresh = await this.o.store.getRun(this.runId);
      this.note(fresh?.control);
    } catch (err) {
      // Checked again on the next tick.
      this.o.log.warn("could not read the run for an operator's control; retrying", {
        operation: "engine.poll-control",
        runId: this.runId,
        err,
      });
    }
  }
}
