import { describe, expect, it } from "vitest";
import type { LeaseLine } from "../../bench/chaos-executor.js";
import type { Death } from "../../bench/chaos-fleet.js";
import type { EffectEvent, EffectLine } from "../../bench/chaos-steps.js";
import { executions, overlaps, repeatedEffects, takeovers } from "../../bench/chaos-tally.js";

/** The chaos benchmark's counting, on lines as the executors append them. */
function line(
  run: string,
  step: string,
  owner: string,
  ev: EffectEvent,
  t: number,
  kind = "chaos.once",
): EffectLine {
  return { run, step, kind, pid: 1, owner, ev, t };
}

function done(run: string, step: string, owner: string, from: number, kind = "chaos.once"): EffectLine[] {
  return [
    line(run, step, owner, "start", from, kind),
    line(run, step, owner, "effect", from + 5, kind),
    line(run, step, owner, "end", from + 6, kind),
  ];
}

describe("the chaos benchmark's count of effects", () => {
  it("counts a step that cannot be repeated done by two executors as twice, and a repeatable one done again as allowed", () => {
    const all = executions(
      [
        ...done("r1", "s01", "a", 0),
        ...done("r1", "s01", "b", 100),
        ...done("r1", "s02", "a", 10, "chaos.set"),
        ...done("r1", "s02", "b", 110, "chaos.set"),
      ],
      [],
      1_000,
    );
    expect(repeatedEffects(all)).toEqual({
      twice: ["r1/s01 (chaos.once, 2 times)"],
      idempotentRepeats: ["r1/s02 (chaos.set, 2 times)"],
    });
  });

  it("does not count a stopped execution, which never took effect", () => {
    const all = executions(
      [
        line("r1", "s01", "a", "start", 0),
        line("r1", "s01", "a", "stopped", 50),
        ...done("r1", "s01", "b", 100),
      ],
      [],
      1_000,
    );
    expect(repeatedEffects(all).twice).toEqual([]);
  });
});

describe("the chaos benchmark's count of runs executed by two executors at once", () => {
  it("finds executions of one run by two executors whose times overlap", () => {
    const all = executions(
      [
        line("r1", "s01", "a", "start", 0),
        line("r1", "s01", "a", "stopped", 500),
        ...done("r1", "s02", "b", 200),
      ],
      [],
      1_000,
    );
    expect(overlaps(all)).toHaveLength(1);
  });

  it("finds none when one ends before the other starts, nor between two runs", () => {
    const all = executions(
      [...done("r1", "s01", "a", 0), ...done("r1", "s01", "b", 100), ...done("r2", "s01", "b", 2)],
      [],
      1_000,
    );
    expect(overlaps(all)).toEqual([]);
  });

  it("pairs each start with the end of the same run's step (one executor runs the same step of two runs)", () => {
    const all = executions(
      [
        line("r1", "s01", "a", "start", 0),
        line("r2", "s01", "a", "start", 1),
        line("r2", "s01", "a", "end", 2),
        line("r1", "s01", "a", "end", 3),
      ],
      [],
      1_000,
    );
    expect(all.map((e) => [e.run, e.start, e.end])).toEqual([
      ["r1", 0, 3],
      ["r2", 1, 2],
    ]);
  });

  it("ends an execution its executor never finished at the executor's kill", () => {
    const killed: Death = { owner: "a", how: "kill", t: 40 };
    const all = executions(
      [line("r1", "s01", "a", "start", 0), ...done("r1", "s01", "b", 3_000)],
      [killed],
      10_000,
    );
    expect(all[0]?.end).toBe(40);
    expect(overlaps(all)).toEqual([]);
  });
});

describe("the chaos benchmark's takeover times", () => {
  const lease = (run: string, owner: string, ev: LeaseLine["ev"], t: number): LeaseLine => ({
    run,
    owner,
    ev,
    t,
  });

  it("times from an executor's death to another's first claim of each run it held", () => {
    const deaths: Death[] = [{ owner: "a", how: "kill", t: 1_000 }];
    const leases = [
      lease("r1", "a", "claim", 0),
      lease("r2", "a", "claim", 10),
      lease("r2", "a", "release", 500),
    ];
    leases.push(lease("r1", "b", "claim", 3_500), lease("r2", "b", "claim", 1_200));
    expect(takeovers(leases, deaths)).toEqual({
      latencies: [2_500],
      keptAfterHealing: 0,
      neverTakenOver: [],
    });
  });

  it("counts a run whose executor went on with it after its partition healed as kept, not taken over", () => {
    const deaths: Death[] = [{ owner: "a", how: "partition", t: 1_000 }];
    const leases = [
      lease("r1", "a", "claim", 0),
      lease("r1", "a", "release", 2_000),
      lease("r1", "b", "claim", 2_500),
    ];
    expect(takeovers(leases, deaths)).toMatchObject({ latencies: [], keptAfterHealing: 1 });
  });

  it("times a takeover after a partition and then a kill from the kill", () => {
    const deaths: Death[] = [
      { owner: "a", how: "partition", t: 1_000 },
      { owner: "a", how: "kill", t: 2_000 },
    ];
    const leases = [lease("r1", "a", "claim", 0), lease("r1", "b", "claim", 4_000)];
    expect(takeovers(leases, deaths).latencies).toEqual([2_000]);
  });
});
