import { type AppAck, classifyAck } from "./app-ack.js";

/**
 * Delivers one interaction to the app's Request URL the way Slack does: a POST with the exact
 * content type `application/x-www-form-urlencoded` (Bolt compares it with ===, so no charset),
 * Slack's user agent, and the signature headers the caller computed over these exact bytes.
 */
export async function deliverOverHttp(
  request: { url: string; body: string; headers: Record<string, string> },
  timing: { ackTimeoutMs: number; ackObserveMs: number },
): Promise<AppAck> {
  const started = performance.now();
  try {
    const response = await fetch(request.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        accept: "application/json,*/*",
        ...request.headers,
      },
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(timing.ackObserveMs),
    });
    // The ack is the response's arrival; its body follows on the same connection.
    const ackMs = performance.now() - started;
    const body = await response.text();
    const contentType = response.headers.get("content-type") ?? undefined;
    return {
      ...classifyAck(response.status, ackMs, timing.ackTimeoutMs),
      status: response.status,
      ackMs,
      body,
      ...(contentType ? { contentType } : {}),
    };
  } catch (error) {
    const ackMs = performance.now() - started;
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return { outcome: timedOut ? "timeout" : "unreachable", timedOut, status: 0, ackMs, body: "" };
  }
}
