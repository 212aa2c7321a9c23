import { SmtpAlertChannel } from "../adapters/notify/smtp-alert-channel.js";
import { WebhookAlertChannel } from "../adapters/notify/webhook-alert-channel.js";
import { AlertDispatcher } from "../app/alerts/alert-dispatcher.js";
import type { NamedVariables } from "../config/environment.js";
import type { Config } from "../domain/config.js";
import type { AlertChannel } from "../ports/alert-channel.js";
import type { Logger } from "../ports/logger.js";

/**
 * The alert channels the configuration names (notifications.email, notifications.webhooks), behind
 * one dispatcher. Throws DrError("invalid_config") when a secret they need is not in the
 * environment, so drbot refuses to start rather than find out during an outage.
 */
export function createAlertDispatcher(config: Config, env: NamedVariables, log: Logger): AlertDispatcher {
  const n = config.notifications;
  const channels: AlertChannel[] = [];
  if (n.email) channels.push(new SmtpAlertChannel(n.email, env, n.timeout));
  for (const webhook of n.webhooks) channels.push(new WebhookAlertChannel(webhook, env));
  return new AlertDispatcher({
    channels,
    kinds: n.events,
    timeoutMs: n.timeout,
    logger: log.child({ component: "alerts" }),
  });
}
