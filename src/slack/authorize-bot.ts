import type { AuthorizeResult } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";

/**
 * Bolt's authorize for drbot's one bot token. Bolt's own, given the token, calls auth.test as soon
 * as the app is built and keeps that promise: with Slack unreachable at start-up (Slack can be part
 * of the outage) the rejection went unhandled and killed `drbot serve`, and had it not, every later
 * request would have failed on the same cached rejection. Here auth.test is asked when Slack first
 * sends a request (Slack is up then), its answer kept, and a failed answer forgotten, so the next
 * request asks again.
 */
export function authorizeBot(client: WebClient, botToken: string): () => Promise<AuthorizeResult> {
  let ids: Promise<{ botId?: string; botUserId?: string }> | undefined;
  return async () => {
    ids ??= client.auth.test().then((r) => ({
      ...(r.bot_id ? { botId: r.bot_id } : {}),
      ...(r.user_id ? { botUserId: r.user_id } : {}),
    }));
    const asked = ids;
    try {
      return { botToken, ...(await asked) };
    } catch (error) {
      // Forgotten, so the next request asks again; this one fails with the reason (Bolt logs it).
      if (ids === asked) ids = undefined;
      throw error;
    }
  };
}
