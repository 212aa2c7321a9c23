import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { RunReports } from "../../src/app/report/run-reports.js";
import { retireFinishedRuns } from "../../src/app/retire-finished-runs.js";
import { storeArtifacts } from "../../src/app/store-artifacts.js";
import { redisSchema } from "../../src/domain/config.js";
import { effect, engineHarness } from "../support/engine-harness.js";

const DAY = 86_400_000;

/** A clock the test moves; the engine stamps runs with it, so "90 days later" takes no time. */
function movableClock(start = 1_700_000_000_000) {
  let at = start;
  return {
    now: () => at,
    advance(ms: number) {
      at += ms;
    },
  };
}

async function setup() {
  const clock = movableClock();
  const store = new MemoryRunStore(clock);
  const h = engineHarness({ store, clock });
  const reports = new RunReports({
    service: h.service,
    artifacts: storeArtifacts(store),
    clock,
    archives: store,
  });
  const completedRun = async () => {
    const run = await h.createApprovedRun([effect("a"), effect("b")]);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    return run;
  };
  return { clock, store, h, reports, completedRun };
}

describe("retiring finished runs", () => {
  it("archives the report of a run finished longer ago than the retention and removes its state; `report` still answers", async () => {
    const { clock, store, h, reports, completedRun } = await setup();
    const old = await completedRun();
    const before = await reports.build(old.id);
    clock.advance(60 * DAY);
    const recent = await completedRun();
    const active = await h.createApprovedRun([effect("c")]);
    clock.advance(31 * DAY);

    const outcome = await retireFinishedRuns({
      store,
      buildReport: (id) => reports.buildLive(id),
      retention: redisSchema.parse({}).retention,
      now: clock.now(),
    });
    expect(outcome).toEqual({ retired: [old.id], kept: [] });
    expect(await store.getRun(old.id)).toBeUndefined();
    expect(await store.readEvents(old.id)).toEqual([]);
    expect((await store.getRun(recent.id))?.state).toBe("completed");
    expect((await store.getRun(active.id))?.state).toBe("approved");

    const archived = await reports.build(old.id);
    expect(archived.run).toEqual(before.run);
    expect(archived.steps.map((s) => [s.id, s.status])).toEqual([
      ["a", "succeeded"],
      ["b", "succeeded"],
    ]);
    await expect(h.service.show(old.id)).rejects.toMatchObject({
      code: "unknown_run",
      message: expect.stringContaining(`report ${old.id}`),
    });
  });

  it("keeps nothing with `afterwards: expire`", async () => {
    const { clock, store, h, reports, completedRun } = await setup();
    const run = await completedRun();
    clock.advance(8 * DAY);
    const outcome = await retireFinishedRuns({
      store,
      buildReport: (id) => reports.buildLive(id),
      retention: redisSchema.parse({ retention: { finishedRuns: "7d", afterwards: "expire" } }).retention,
      now: clock.now(),
    });
    expect(outcome.retired).toEqual([run.id]);
    await expect(reports.build(run.id)).rejects.toMatchObject({ code: "unknown_run" });
    await expect(h.service.show(run.id)).rejects.toMatchObject({
      message: expect.stringContaining("no run"),
    });
  });

  it("keeps a run whose report cannot be built, whole, and says why", async () => {
    const { clock, store, completedRun } = await setup();
    const run = await completedRun();
    clock.advance(91 * DAY);
    const outcome = await retireFinishedRuns({
      store,
      buildReport: async () => {
        throw new Error("the artifacts could not be read");
      },
      retention: redisSchema.parse({}).retention,
      now: clock.now(),
    });
    expect(outcome).toEqual({
      retired: [],
      kept: [{ runId: run.id, reason: "its report could not be built: the artifacts could not be read" }],
    });
    expect((await store.getRun(run.id))?.state).toBe("completed");
  });
});
