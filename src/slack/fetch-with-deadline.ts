import type { Logger } from "../ports/logger.js";

/**
 * The fetch Bolt and the WebClient share (`clientOptions.fetch`). The WebClient gives each of its
 * calls a deadline of its own (an AbortSignal from `timeout`); Bolt's respond() posts to the
 * response_url with none, so a response_url that never answers would hold the listener forever.
 * Every request that arrives without a signal gets `timeoutMs`; when that request fails (deadline
 * passed, connection refused), it is logged before the caller hears of it. The URL is never logged:
 * a response_url lets whoever holds it post as the bot.
 */
export function fetchWithDeadline(fetchFn: typeof fetch, timeoutMs: number, log: Logger): typeof fetch {
  return async (input, init) => {
    if (init?.signal) return fetchFn(input, init);
    try {
      return await fetchFn(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === "TimeoutError";
      log.warn(
        timedOut
          ? `a response_url post got no answer within ${timeoutMs} ms and was given up`
          : `a response_url post failed: ${error instanceof Error ? error.message : String(error)}`,
        { operation: "slack.response-url", ...(timedOut ? {} : { err: error }) },
      );
      throw error;
    }
  };
}
