import { describeError } from "../domain/errors.js";

/**
 * Why a call to Slack failed, and whether trying again can help.
 *
 * - permanent: Slack answered, and will answer the same until a person changes something: the
 *   channel is gone or archived, the bot is not in it, the token is revoked or lacks a scope, the
 *   message's content is refused. Retrying only adds load and log lines.
 * - transient: Slack is slow, down, rate-limiting or erring on its side, the network failed, or the
 *   store could not be read: the same call can succeed later.
 */
export interface SlackFailure {
  permanent: boolean;
  /** Slack's error code (`channel_not_found`), `http_<status>`, `network`, or `other`. */
  code: string;
  /** What a person reads: the code and what it means. */
  text: string;
}

/** Slack's platform errors that stay until a person acts, with what they mean for drbot. */
const PERMANENT: Record<string, string> = {
  channel_not_found: "the channel does not exist, or the bot cannot see it",
  not_in_channel: "the bot is not a member of the channel (invite it)",
  is_archived: "the channel is archived",
  invalid_auth: "the bot token is not valid",
  not_authed: "no bot token was sent",
  account_inactive: "the bot's token belongs to a deactivated user or an uninstalled app",
  token_revoked: "the bot token was revoked",
  token_expired: "the bot token has expired",
  no_permission: "the bot has no permission for this",
  missing_scope: "the bot token lacks a scope this needs (chat:write)",
  not_allowed_token_type: "the token is not a bot token",
  restricted_action: "the workspace does not let the bot post here",
  team_access_not_granted: "the app has no access to this workspace",
  ekm_access_denied: "the workspace's key management denies access",
  invalid_blocks: "Slack refuses the message's blocks",
  invalid_blocks_format: "Slack refuses the message's blocks",
  msg_too_long: "the message is too long for Slack",
};

export function classifySlackFailure(error: unknown): SlackFailure {
  const e = error as { code?: unknown; data?: { error?: unknown }; statusCode?: unknown } | undefined;
  if (e?.code === "slack_webapi_platform_error" && typeof e.data?.error === "string") {
    const code = /^[a-z0-9_]{1,64}$/.test(e.data.error) ? e.data.error : "other";
    const meaning = PERMANENT[code];
    return meaning
      ? { permanent: true, code, text: `${code}: ${meaning}` }
      : { permanent: false, code, text: `${code}: Slack reported an error; trying again` };
  }
  if (e?.code === "slack_webapi_http_error" && typeof e.statusCode === "number")
    return {
      permanent: false,
      code: `http_${e.statusCode}`,
      text: `Slack answered HTTP ${e.statusCode}; trying again`,
    };
  if (e?.code === "slack_webapi_request_error" || e?.code === "slack_webapi_rate_limited_error")
    return { permanent: false, code: "network", text: `Slack could not be reached: ${describeError(error)}` };
  return { permanent: false, code: "other", text: describeError(error) };
}

/**
 * How long to wait before the next attempt after `failures` failures in a row: the base interval
 * doubled each time, at most `capMs`.
 */
export function retryDelayMs(failures: number, baseMs: number, capMs: number): number {
  if (failures <= 0) return baseMs;
  return Math.min(capMs, baseMs * 2 ** Math.min(failures, 30));
}
