import { describe, expect, it } from "vitest";
import { pollUntil } from "../../../src/adapters/postgres/on-server.js";

/** The interval is ten minutes: a poll that waited it out would outlast the test. */
const TEN_MINUTES = 600_000;

describe("polling a server until it answers yes", () => {
  it("ends as soon as the step is stopped, mid-wait, with why, and asks the server nothing more", async () => {
    const stop = new AbortController();
    let asked = 0;
    const polling = pollUntil(
      async () => {
        asked++;
        return false;
      },
      { deadline: Date.now() + 2 * TEN_MINUTES, intervalMs: TEN_MINUTES, signal: stop.signal },
    );
    // Once what is queued has run, the first answer is in and the poll waits out its interval.
    await new Promise((resolve) => setImmediate(resolve));
    stop.abort(new Error("stopped by an operator's abort"));
    await expect(polling).rejects.toThrow("stopped by an operator's abort");
    expect(asked).toBe(1);
  });

  it("asks nothing of a server once the step was stopped", async () => {
    let asked = 0;
    const polling = pollUntil(
      async () => {
        asked++;
        return true;
      },
      { deadline: Date.now() + TEN_MINUTES, intervalMs: 10, signal: AbortSignal.abort(new Error("fenced")) },
    );
    await expect(polling).rejects.toThrow("fenced");
    expect(asked).toBe(0);
  });

  it("answers true once the server says yes, and false when the deadline comes first", async () => {
    let asked = 0;
    expect(
      await pollUntil(async () => ++asked === 3, { deadline: Date.now() + TEN_MINUTES, intervalMs: 1 }),
    ).toBe(true);
    expect(await pollUntil(async () => false, { deadline: Date.now(), intervalMs: 1 })).toBe(false);
  });
});
