import type { ResolvedOptions } from "./emulator-options.js";
import type { ViewState } from "./view-state.js";
import type { ApiArgs } from "./web-api-request.js";
import type { StoredMessage, WorkspaceState } from "./workspace-state.js";

/**
 * The contract every emulated Web API method implements: it gets the decoded arguments and the
 * workspace, and answers Slack's `{ok, …}` / `{ok:false, error}` body. Transport concerns (auth,
 * rate limits, counting, HTTP status) are the dispatcher's, never a method's.
 */
export type ApiReply = { ok: boolean; [key: string]: unknown };

export interface MethodContext {
  args: ApiArgs;
  options: ResolvedOptions;
  state: WorkspaceState;
  /** Open modals, Home tabs and the trigger ids views.open takes. */
  views: ViewState;
  /** The emulator's own origin, e.g. http://127.0.0.1:PORT, for URLs it hands out. */
  baseUrl: string;
  /** Issues a one-use Socket Mode ticket and returns the ws:// URL that redeems it. */
  openSocketUrl(): string;
}

export interface WebApiMethod {
  /** Which token the method takes: the bot token (xoxb) or the app-level token (xapp). */
  token: "bot" | "app";
  handle(context: MethodContext): ApiReply | Promise<ApiReply>;
}

export function fail(error: string, extra: Record<string, unknown> = {}): ApiReply {
  return { ok: false, error, ...extra };
}

/** Slack's answer to a call without a required argument. */
export function missingArgument(name: string): ApiReply {
  return fail("invalid_arguments", {
    response_metadata: { messages: [`[ERROR] missing required field: ${name}`] },
  });
}

/** A stored message in the shape the Web API returns it (history, replies, interaction payloads). */
export function toApiMessage(message: StoredMessage, options: ResolvedOptions): Record<string, unknown> {
  const fromBot = message.botId !== undefined;
  const edits = message.versions.length > 1 ? message.versions.at(-1) : undefined;
  return {
    type: "message",
    ts: message.ts,
    user: message.userId,
    text: message.text,
    ...(message.blocks.length > 0 ? { blocks: message.blocks } : {}),
    ...(fromBot ? { bot_id: message.botId, app_id: options.appId } : {}),
    team: options.teamId,
    ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
    ...(message.fileIds.length > 0 ? { files: message.fileIds.map((id) => ({ id })) } : {}),
    ...(edits ? { edited: { user: message.userId, ts: (edits.at / 1000).toFixed(6) } } : {}),
  };
}
