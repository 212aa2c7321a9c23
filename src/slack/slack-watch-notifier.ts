import type { WebClient } from "@slack/web-api";
import type { WatchAlert } from "../domain/probe-tracker.js";
import type { RunStore } from "../ports/run-store.js";
import type { CalendarReminder, WatchNotifier } from "../ports/watch-notifier.js";
import { alertClearedView, alertOpenedView, reminderView, scheduleFailedView } from "./views/watch-views.js";

const refKey = (alertId: string) => `slack:alert:${alertId}`;

/**
 * Posts the watcher's alert into the incident channel and, when it clears, edits that same message
 * (the button goes away) and says so in its thread; posts the calendar's reminders. The WebClient's
 * timeout and retry settings bound every call; failures are thrown for the caller to retry.
 */
export class SlackWatchNotifier implements WatchNotifier {
  constructor(
    private readonly client: WebClient,
    private readonly store: Pick<RunStore, "kvGet" | "kvSet">,
  ) {}

  async alertOpened(
    alert: WatchAlert,
    c: { channel: string; applications: string[]; remedy: "failover" | "failback" },
  ): Promise<void> {
    // A retried post after a timeout must not post twice: the message's ts is kept once posted.
    if (await this.store.kvGet(refKey(alert.id))) return;
    const view = alertOpenedView(alert, c.applications, c.remedy);
    const posted = await this.client.chat.postMessage({
      channel: c.channel,
      text: view.text,
      blocks: view.blocks,
    });
    await this.store.kvSet(refKey(alert.id), JSON.stringify({ channel: c.channel, ts: posted.ts }), {
      ttlMs: 30 * 86_400_000,
    });
  }

  async alertCleared(alert: WatchAlert, c: { channel: string }): Promise<void> {
    const raw = await this.store.kvGet(refKey(alert.id));
    const ref = raw ? (JSON.parse(raw) as { channel: string; ts: string }) : undefined;
    const view = alertClearedView(alert);
    if (!ref) {
      await this.client.chat.postMessage({ channel: c.channel, text: view.text, blocks: view.blocks });
      return;
    }
    await this.client.chat.update({ channel: ref.channel, ts: ref.ts, text: view.text, blocks: view.blocks });
    await this.client.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text: view.text });
  }

  async reminder(reminder: CalendarReminder): Promise<void> {
    const view = reminderView(reminder);
    await this.client.chat.postMessage({ channel: reminder.channel, text: view.text, blocks: view.blocks });
  }

  async scheduleFailed(schedule: string, channel: string, message: string): Promise<void> {
    const view = scheduleFailedView(schedule, message);
    await this.client.chat.postMessage({ channel, text: view.text, blocks: view.blocks });
  }
}
