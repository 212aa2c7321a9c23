import type { DrAlert } from "../../domain/dr-alert.js";
import { DrError } from "../../domain/errors.js";
import type { WebhookConfig } from "../../domain/notifications-config.js";
import { redact } from "../../domain/redact.js";
import type { AlertChannel } from "../../ports/alert-channel.js";
import { alertmanagerPayload, pagerDutyPayload } from "./alert-payloads.js";

/**
 * Alerts to an HTTP receiver: an Alertmanager (its API v2 list of alerts, with a bearer token when
 * one is named) or PagerDuty's Events API v2 (the routing key in the body). The secret comes from
 * the environment variable the configuration names and never appears in an error.
 */
export class WebhookAlertChannel implements AlertChannel {
  readonly name: string;
  private readonly secret: string | undefined;

  constructor(
    private readonly config: WebhookConfig,
    env: NodeJS.ProcessEnv,
    private readonly now: () => number = Date.now,
  ) {
    this.name = `webhook ${config.name} (${config.format})`;
    const variable = config.format === "pagerduty" ? config.routingKeyEnv : config.tokenEnv;
    if (variable) {
      const value = env[variable];
      if (!value)
        throw new DrError(
          "invalid_config",
          `notifications.webhooks ${config.name} names ${variable}, which is not set in the environment`,
        );
      this.secret = value;
    }
  }

  async send(alert: DrAlert, signal: AbortSignal): Promise<void> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    let body: unknown;
    if (this.config.format === "pagerduty") body = pagerDutyPayload(alert, this.secret ?? "");
    else {
      body = alertmanagerPayload(alert, this.now());
      if (this.secret) headers.authorization = `Bearer ${this.secret}`;
    }
    const where = `${this.name} at ${safeUrl(this.config.url)}`;
    let response: Response;
    try {
      response = await fetch(this.config.url, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal,
        redirect: "error",
      });
      // Read under the same signal: a receiver that sends headers and stalls still ends.
      const text = await response.text();
      if (!response.ok)
        throw new Error(
          `${where}: HTTP ${response.status} ${this.clean(text.split("\n")[0] ?? "").slice(0, 200)}`,
        );
    } catch (error) {
      if (signal.aborted) throw new Error(`${where}: no answer before the deadline`);
      throw error instanceof Error && error.message.startsWith(where)
        ? error
        : new Error(`${where}: ${this.clean(reasonOf(error))}`);
    }
  }

  private clean(text: string): string {
    return redact(text, this.secret ? [this.secret] : []);
  }
}

/** Scheme, host and path: no credentials in the URL, no query string (it may carry a key). */
function safeUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

function reasonOf(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return code ? `${code} (${message.split("\n")[0]})` : (message.split("\n")[0] ?? "");
}
