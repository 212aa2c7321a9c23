import { runOutcomeAlert } from "../../domain/dr-alert.js";
import { isTerminal } from "../../domain/run.js";
import type { RunObserver } from "../../ports/run-observer.js";
import type { AlertDispatcher } from "./alert-dispatcher.js";

/**
 * Run outcomes by email and webhook: when a run this process executes (or decides) reaches an
 * outcome, failed, aborted, completed with exceptions or completed, its alert goes out, whatever
 * Slack is doing. Requests that were rejected or expired are not outcomes of a run.
 */
export function runOutcomeAlerts(alerts: AlertDispatcher, now: () => number): RunObserver {
  return {
    onRunEvent(event, run) {
      if (event.type !== "run.state" || !isTerminal(run.state)) return;
      const alert = runOutcomeAlert(run, now());
      if (alert) alerts.notify(alert);
    },
  };
}
