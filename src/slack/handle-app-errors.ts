import type { App } from "@slack/bolt";
import type { Logger } from "../ports/logger.js";
import { type ListenerContext, logUnexpected } from "./listeners/reply-error.js";

const ANSWER_TIMEOUT_MS = 5_000;

/** Bolt's extended handler (its second `error` overload), which receives the request's body too. */
type ExtendedErrorHandler = Parameters<App["error"]>[0];

/**
 * Bolt's last resort (`app.error`, with the request's body): whatever escaped a listener's own
 * handling, such as a failed ack, an authorisation failure or an error thrown by a listener. It is
 * logged with a short reference and, when the request carries a response_url (commands and
 * clicks), the person who acted is told that reference. Needs `extendedErrorHandler: true`.
 */
export function handleAppErrors(app: App, deps: { log: Logger; fetch: typeof fetch }): void {
  const handler: ExtendedErrorHandler = async ({ error, body }) => {
    const original = (error as { original?: unknown }).original ?? error;
    const context = describeRequest(body);
    const text = logUnexpected(original, deps.log, context);
    const url = (body as { response_url?: unknown } | undefined)?.response_url;
    if (typeof url !== "string") return;
    try {
      const answer = await deps.fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ response_type: "ephemeral", replace_original: false, text }),
        signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
      });
      if (!answer.ok) throw new Error(`response_url answered ${answer.status}`);
    } catch (failure) {
      deps.log.warn("could not tell the person the reference of a failure", { ...context, err: failure });
    }
  };
  app.error(handler);
}

/** Which request failed: the command or action, who sent it, where; never a token or a response_url. */
function describeRequest(body: unknown): ListenerContext {
  const b = (body ?? {}) as {
    command?: string;
    user_id?: string;
    channel_id?: string;
    type?: string;
    user?: { id?: string };
    channel?: { id?: string };
    actions?: { action_id?: string }[];
  };
  if (typeof b.command === "string")
    return {
      operation: `slack.command.${b.command.replace(/^\//, "")}`,
      ...(b.user_id ? { user: b.user_id } : {}),
      ...(b.channel_id ? { channel: b.channel_id } : {}),
    };
  const action = b.actions?.[0]?.action_id;
  return {
    operation: action ? `slack.action.${action}` : `slack.${b.type ?? "request"}`,
    ...(b.user?.id ? { user: b.user.id } : {}),
    ...(b.channel?.id ? { channel: b.channel.id } : {}),
  };
}
