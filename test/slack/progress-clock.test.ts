import type { WebClient } from "@slack/web-api";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { initialStepRecords, type RunEvent, type RunRecord } from "../../src/domain/run.js";
import type { Clock } from "../../src/ports/clock.js";
import { SlackRunNotifier } from "../../src/slack/slack-run-notifier.js";
import { plannedRun } from "../support/planned-run.js";

/**
 * The live clock of the progress message, with time faked: while a run waits for a person nothing
 * happens to it, yet its elapsed time and time left must move at least every 30 s, through the
 * notifier's one queue (at most one edit per run per refresh, never faster than its rate limit),
 * and stop once the run ends. A fake Slack client records each edit's Elapsed field.
 */
const minute = 60_000;
const start = Date.parse("2026-12-04T03:00:00Z");

let edits: { at: number; method: string; elapsed: string }[];
const client = {
  chat: {
    postMessage: async (args: { blocks?: unknown }) => {
      edits.push({ at: Date.now(), method: "postMessage", elapsed: elapsedOf(args.blocks) });
      return { ok: true, ts: `${edits.length}.000100` };
    },
    update: async (args: { blocks?: unknown }) => {
      edits.push({ at: Date.now(), method: "update", elapsed: elapsedOf(args.blocks) });
      return { ok: true };
    },
  },
} as unknown as WebClient;

function elapsedOf(blocks: unknown): string {
  return /\*Elapsed\*\\n([^"]*)"/.exec(JSON.stringify(blocks))?.[1] ?? "";
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(start + 10 * minute);
  edits = [];
});
afterEach(() => {
  vi.useRealTimers();
});

const clock: Clock = { now: () => Date.now() };

function waitingRun(): RunRecord {
  return plannedRun(
    [
      {
        id: "confirm",
        title: "Confirm DR serves",
        kind: "checklist",
        with: { items: ["Traffic seen on DR"] },
      },
    ],
    {
      id: "failover-1204-0300-clock1",
      state: "waiting_manual",
      channel: "C0INCIDENT",
      createdAt: start,
      updatedAt: start,
      rto: { requestedAt: start, approvedAt: start + 5 * minute, activationStartedAt: start + 5 * minute },
    },
  );
}

const event = (run: RunRecord, state: string): RunEvent => ({
  type: "run.state",
  at: Date.now(),
  actor: "engine",
  runId: run.id,
  data: { state },
});

describe("the progress message's clock", () => {
  it("moves at least every 30 s while the run waits for a person, and stops when the run ends", async () => {
    const store = new MemoryRunStore(clock);
    const run = waitingRun();
    const steps = initialStepRecords(run.plan).map((s) => ({
      ...s,
      status: "waiting" as const,
      attempts: 1,
      startedAt: start + 6 * minute,
    }));
    await store.createRun(run, steps, event(run, "waiting_manual"));
    const notifier = new SlackRunNotifier({ client, store, clock, clockRefreshMs: 20_000 });

    notifier.onRunEvent(event(run, "waiting_manual"), run);
    await vi.advanceTimersByTimeAsync(100);
    expect(edits.map((e) => e.elapsed)).toEqual(["10m of RTO 2h · 1h 50m left"]);

    // Two minutes in which nothing happens to the run: the clock still moves.
    await vi.advanceTimersByTimeAsync(2 * minute);
    const gaps = edits.slice(1).map((e, i) => e.at - edits[i]!.at);
    expect(gaps.every((gap) => gap <= 30_000)).toBe(true);
    expect(edits.length).toBeGreaterThanOrEqual(5);
    // Within the coalescing budget: one edit per refresh, not one per tick of anything else.
    expect(edits.length).toBeLessThanOrEqual(7);
    expect(edits.slice(1).every((e) => e.method === "update")).toBe(true);
    expect(edits.at(-1)!.elapsed).toBe("12m of RTO 2h · 1h 48m left");

    // The run ends: one last edit with the final state, then silence.
    const stored = (await store.getRun(run.id))!;
    const ended: RunRecord = {
      ...stored,
      state: "aborted",
      stateReason: "aborted by U0ONCALL",
      updatedAt: Date.now(),
      version: stored.version + 1,
    };
    await store.updateRun(ended, stored.version, event(ended, "aborted"));
    notifier.onRunEvent(event(ended, "aborted"), ended);
    await vi.advanceTimersByTimeAsync(1_000);
    const afterEnd = edits.length;
    expect(edits.at(-1)!.elapsed).toBe("12m of RTO 2h · stopped");
    await vi.advanceTimersByTimeAsync(5 * minute);
    expect(edits.length).toBe(afterEnd);
  });

  it("draws no clock for a request still waiting for its approvals: it has no progress message", async () => {
    const store = new MemoryRunStore(clock);
    const run = { ...waitingRun(), state: "pending_approval" as const };
    await store.createRun(run, initialStepRecords(run.plan), event(run, "pending_approval"));
    const notifier = new SlackRunNotifier({ client, store, clock, clockRefreshMs: 20_000 });
    notifier.onRunEvent({ ...event(run, "pending_approval"), type: "run.requested" }, run);
    await vi.advanceTimersByTimeAsync(100);
    expect(edits.map((e) => e.method)).toEqual(["postMessage"]);
    await vi.advanceTimersByTimeAsync(2 * minute);
    expect(edits).toHaveLength(1);
  });
});
