import { describe, expect, it } from "vitest";
import { applyRetention } from "../../src/domain/retention.js";

const DAY = 86_400_000;
const NOW = 100 * DAY;
const copy = (id: string, ageDays: number) => ({ id, takenAt: NOW - ageDays * DAY });

describe("applyRetention", () => {
  it("keeps the newest copies up to the count and removes the rest, oldest first in the reasons", () => {
    const copies = [copy("a", 5), copy("b", 1), copy("c", 3), copy("d", 2), copy("e", 4)];
    const decision = applyRetention(copies, { count: 3, maxAgeMs: 30 * DAY }, NOW);
    expect(decision.keep.map((c) => c.id)).toEqual(["b", "d", "c"]);
    expect(decision.remove).toEqual([
      { copy: copy("e", 4), why: "beyond the newest 3 good copies" },
      { copy: copy("a", 5), why: "beyond the newest 3 good copies" },
    ]);
  });

  it("removes copies older than the maximum age even when fewer than the count remain", () => {
    const decision = applyRetention(
      [copy("new", 1), copy("old", 31)],
      { count: 10, maxAgeMs: 30 * DAY },
      NOW,
    );
    expect(decision.keep.map((c) => c.id)).toEqual(["new"]);
    expect(decision.remove).toEqual([{ copy: copy("old", 31), why: "older than 30d" }]);
  });

  it("keeps a copy exactly at the maximum age", () => {
    const decision = applyRetention([copy("edge", 30)], { count: 10, maxAgeMs: 30 * DAY }, NOW);
    expect(decision.remove).toEqual([]);
  });

  it("never removes a protected copy, however old, so a source always keeps the snapshot just taken", () => {
    const decision = applyRetention(
      [copy("just-taken", 40), copy("other", 2)],
      { count: 1, maxAgeMs: 30 * DAY },
      NOW,
      ["just-taken"],
    );
    expect(decision.keep.map((c) => c.id)).toEqual(["just-taken"]);
    expect(decision.remove.map((r) => r.copy.id)).toEqual(["other"]);
  });
});
