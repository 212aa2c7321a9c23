import type { RunEvent, RunRecord, StepRecord } from "../domain/run.js";

/**
 * Told about every transition after it is persisted (never before), so announcements can only ever
 * describe state that survives a crash. The Slack surface renders runs from these calls; observers
 * must not throw, and slow observers must not hold the engine up (they queue their own work).
 */
export interface RunObserver {
  onRunEvent(event: RunEvent, run: RunRecord, steps: ReadonlyMap<string, StepRecord>): void;
}

export const silentObserver: RunObserver = { onRunEvent: () => {} };

export function fanOut(observers: readonly RunObserver[]): RunObserver {
  return {
    onRunEvent(event, run, steps) {
      for (const o of observers) {
        try {
          o.onRunEvent(event, run, steps);
        } catch {
          // An observer failing must never break a run; observers log their own errors.
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

  attach(observer: RunObserver): void {
    this.targets.push(observer);
  }

  onRunEvent(event: RunEvent, run: RunRecord, steps: ReadonlyMap<string, StepRecord>): void {
    fanOut(this.targets).onRunEvent(event, run, steps);
  }
}
