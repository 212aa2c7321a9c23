import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AckGate } from "../../src/slack/ack-gate.js";

describe("the ack gate", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Whether the promise has resolved, once the microtasks queued so far have run. */
  async function isDone(p: Promise<void>): Promise<boolean> {
    let done = false;
    void p.then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    return done;
  }

  it("lets work start at once when no request waits for its ack", async () => {
    expect(await isDone(new AckGate().settled())).toBe(true);
  });

  it("holds work back until every request that arrived has been answered and a quiet moment passed", async () => {
    const gate = new AckGate();
    const first = gate.arrived();
    const second = gate.arrived();
    const work = gate.settled();
    first();
    expect(await isDone(work)).toBe(false);
    expect(gate.unanswered).toBe(1);
    second();
    expect(await isDone(work)).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    expect(await isDone(work)).toBe(true);
  });

  it("waits for a quiet moment: a request arriving just after the last answer holds the work back too", async () => {
    const gate = new AckGate(1_000, 10);
    const first = gate.arrived();
    const work = gate.settled();
    first();
    await vi.advanceTimersByTimeAsync(5);
    const late = gate.arrived();
    await vi.advanceTimersByTimeAsync(5);
    late();
    await vi.advanceTimersByTimeAsync(9);
    expect(await isDone(work)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await isDone(work)).toBe(true);
  });

  it("counts a request answered once, however often it is told", async () => {
    const gate = new AckGate();
    const first = gate.arrived();
    gate.arrived();
    first();
    first();
    expect(gate.unanswered).toBe(1);
    expect(await isDone(gate.settled())).toBe(false);
  });

  it("lets work start after its longest wait while a request is never answered", async () => {
    const gate = new AckGate(1_000);
    gate.arrived();
    const work = gate.settled();
    await vi.advanceTimersByTimeAsync(999);
    expect(await isDone(work)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await isDone(work)).toBe(true);
  });
});
