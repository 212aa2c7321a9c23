import type { DrAlert } from "../domain/dr-alert.js";

/**
 * One way alerts reach people: email, an Alertmanager, PagerDuty, a Slack channel. Contract: `send`
 * delivers one alert or throws an Error saying what failed (never with a secret in it); it honours
 * `signal` (the dispatcher's deadline) and never waits beyond it. Sending the same alert twice is
 * harmless for the receiver (same key), so a retry after a doubtful failure is safe.
 */
export interface AlertChannel {
  /** "email", "webhook alertmanager", … for logs and for the dispatcher's bookkeeping. */
  readonly name: string;
  send(alert: DrAlert, signal: AbortSignal): Promise<void>;
}
