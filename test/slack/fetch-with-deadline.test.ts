import { describe, expect, it } from "vitest";
import { fetchWithDeadline } from "../../src/slack/fetch-with-deadline.js";
import { recordingLogger } from "../support/recording-logger.js";

/** A fetch that answers only when the request's signal aborts, and shows which signal it got. */
function recordingFetch() {
  const signals: (AbortSignal | undefined)[] = [];
  const fetchFn = ((_input: unknown, init?: RequestInit) => {
    const signal = init?.signal ?? undefined;
    signals.push(signal);
    return new Promise<Response>((_resolve, reject) => {
      signal?.addEventListener("abort", () => reject(signal.reason));
    });
  }) as typeof fetch;
  return { fetchFn, signals };
}

describe("fetch with a deadline", () => {
  it("gives a request without a signal the deadline, and tells why it was given up without the URL", async () => {
    const { fetchFn, signals } = recordingFetch();
    const log = recordingLogger();
    const guarded = fetchWithDeadline(fetchFn, 50, log);
    const url = "http://127.0.0.1:9/response/T0/secret-token";
    await expect(guarded(url, { method: "POST", body: "{}" })).rejects.toMatchObject({
      name: "TimeoutError",
    });
    expect(signals[0]).toBeInstanceOf(AbortSignal);
    expect(log.messages("warn")).toEqual(["a response_url post got no answer within 50 ms and was given up"]);
    expect(JSON.stringify(log.lines)).not.toContain("secret-token");
  });

  it("leaves a caller's own signal alone (the WebClient sets its own timeout)", async () => {
    const { fetchFn, signals } = recordingFetch();
    const log = recordingLogger();
    const guarded = fetchWithDeadline(fetchFn, 50, log);
    const own = new AbortController();
    const pending = guarded("http://127.0.0.1:9/api/chat.postMessage", { signal: own.signal });
    expect(signals[0]).toBe(own.signal);
    own.abort(new Error("caller gave up"));
    await expect(pending).rejects.toThrow("caller gave up");
    expect(log.lines).toEqual([]);
  });
});
