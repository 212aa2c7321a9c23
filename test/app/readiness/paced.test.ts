import { afterEach, describe, expect, it, vi } from "vitest";
import { eachBounded, paced } from "../../../src/app/readiness/read-within.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("a round's reads spread out on one site", () => {
  it("starts each read at least the pace after the one before, whatever the concurrency", async () => {
    vi.useFakeTimers();
    const started: string[] = [];
    const done = eachBounded(
      ["a", "b", "c"],
      3,
      async (item) => {
        started.push(item);
      },
      paced(50, new AbortController().signal),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual(["a"]);
    await vi.advanceTimersByTimeAsync(49);
    expect(started).toEqual(["a"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toEqual(["a", "b"]);
    await vi.advanceTimersByTimeAsync(50);
    expect(started).toEqual(["a", "b", "c"]);
    await done;
  });

  it("stops waiting when the round's signal aborts, so what is left finds the round over at once", async () => {
    vi.useFakeTimers();
    const round = new AbortController();
    const started: string[] = [];
    const done = eachBounded(
      ["a", "b", "c"],
      1,
      async (item) => {
        started.push(item);
      },
      paced(60_000, round.signal),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual(["a"]);
    round.abort();
    await done;
    expect(started).toEqual(["a", "b", "c"]);
  });
});
