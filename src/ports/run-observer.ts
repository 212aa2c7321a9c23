import type { RunEvent, RunRecord, StepRecord } from "../domain/run.js";
import { type Logger, silentLogger } from "./logger.js";

/**
 * Told about every transition after it is persisted (never before), so announcements can only ever
 * describe state that survives a crash. The Slack surface renders runs from these calls; observers
 * must not throw, and slow observers must not hold the engine up (they queue their own work).
 */
export interface RunObserver {
  onRunEvent(event: RunEvent, run: RunRecord, steps: ReadonlyMap<string, StepRecord>): void;
}

export const silentObserver: RunObserver = { onRunEvent: () => {} };

/** Tells every observer; one that throws anyway is logged and never breaks the run or the others. */
export function fanOut(observers: readonly RunObserver[], log: Logger = silentLogger): RunObserver {
  return {
    onRunEvent(event, run, steps) {
      for (const o of observers) {
        try {
          o.onRunEvent(event, run, steps);
        } catch (error) {
          log.error("a run observer threw; the run and the other observers go on", {
            operation: "run.observe",
            runId: run.id,
            event: event.type,
            err: error,
          });
        }
      }
    },
  };
}

/**
 * An observer attached later: the engine is built before the Slack surface that renders its runs,
 * so it is given a relay, and the surface attaches itself once it exists.
 */
export class ObserverRelay implements RunObserver {
  private readonly targets: RunObserver[] = [];

  constructor(private readonly log: Logger = silentLogger) {}

  attach(observer: RunObserver): void {
    this.targets.push(observer);
  }

  onRunEvent(event: RunEvent, run: RunRecord, steps: ReadonlyMap<string, StepRecord>): void {
    fanOut(this.targets, this.log).onRunEvent(event, run, steps);
  }
}
