import { describe, expect, it } from "vitest";
import { APPROVAL_GATE_ITEM, gateApprovals } from "../../src/domain/approval-gate.js";

const approval = (userId: string, at: number) => ({ item: APPROVAL_GATE_ITEM, userId, at });

describe("an approval gate's count", () => {
  it("counts each person once, by their first approval", () => {
    const counted = gateApprovals([approval("U2", 1), approval("U3", 2), approval("U2", 3)], "U1");
    expect(counted).toEqual([approval("U2", 1), approval("U3", 2)]);
  });

  it("never counts the requester, nor ticks of other items", () => {
    const counted = gateApprovals(
      [approval("U1", 1), { item: "drained the queue", userId: "U2", at: 2 }, approval("U3", 3)],
      "U1",
    );
    expect(counted.map((a) => a.userId)).toEqual(["U3"]);
  });
});
