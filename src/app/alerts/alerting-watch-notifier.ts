import { watchAlert } from "../../domain/dr-alert.js";
import type { WatchNotifier } from "../../ports/watch-notifier.js";
import type { AlertDispatcher } from "./alert-dispatcher.js";

/**
 * The watcher's notifier, plus email and webhooks: an alert opened or cleared goes to the
 * dispatcher first (it never throws and never waits), then to the wrapped notifier (Slack), whose
 * failure the watcher sees and retries as before. Reminders and calendar failures stay in Slack.
 */
export function alertingWatchNotifier(inner: WatchNotifier, alerts: AlertDispatcher): WatchNotifier {
  return {
    async alertOpened(alert, context) {
      alerts.notify(watchAlert(alert, context.applications, "firing", context.remedy));
      await inner.alertOpened(alert, context);
    },
    async alertCleared(alert, context) {
      alerts.notify(watchAlert(alert, [], "resolved"));
      await inner.alertCleared(alert, context);
    },
    reminder: (reminder) => inner.reminder(reminder),
    scheduleFailed: (schedule, channel, message) => inner.scheduleFailed(schedule, channel, message),
  };
}
