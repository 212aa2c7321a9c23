import type { WebClient } from "@slack/web-api";
import type { DrAlert } from "../domain/dr-alert.js";
import type { AlertChannel } from "../ports/alert-channel.js";
import { alertView } from "./views/alert-view.js";

/**
 * Alerts that have no Slack surface of their own (RPO breaches, replication lag) posted in the
 * incident channel, one message per firing or resolution. The WebClient's timeout bounds the call;
 * failures are thrown for the dispatcher to retry.
 */
export class SlackAlertChannel implements AlertChannel {
  readonly name = "slack";

  constructor(
    private readonly client: WebClient,
    private readonly channel: string,
  ) {}

  async send(alert: DrAlert, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new Error("slack: no time left before the deadline");
    const view = alertView(alert);
    await this.client.chat.postMessage({ channel: this.channel, text: view.text, blocks: view.blocks });
  }
}
