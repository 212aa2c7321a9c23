import { describe, expect, it } from "vitest";
import { dataLossKey, dataLossWorsened, unreadRisk } from "../../src/domain/data-loss.js";
import type { RpoRisk } from "../../src/domain/run.js";

const T0 = 1_767_236_400_000;
const risk = (exposureMs: number | undefined, readAt: number): RpoRisk => ({
  ...(exposureMs === undefined ? {} : { exposureMs }),
  targetMs: 900_000,
  tier: "tier1",
  unknown: exposureMs === undefined ? ["velero"] : [],
  readAt,
});

describe("data-loss acceptance bound to a reading", () => {
  it("names each reading by a key that changes with the reading", () => {
    expect(dataLossKey(risk(3_600_000, T0))).toMatch(/^[0-9a-f]{16}$/);
    expect(dataLossKey(risk(3_600_000, T0))).toBe(dataLossKey(risk(3_600_000, T0)));
    expect(dataLossKey(risk(3_600_000, T0))).not.toBe(dataLossKey(risk(3_700_000, T0)));
  });

  it("is not worse when the same recovery point is read later (time passing alone)", () => {
    expect(dataLossWorsened(risk(3_600_000, T0), risk(3_600_000 + 600_000, T0 + 600_000))).toBeUndefined();
    expect(dataLossWorsened(risk(3_600_000, T0), undefined)).toBeUndefined();
  });

  it("is worse with an older recovery point, a loss nobody accepted, or unknown where a known amount was", () => {
    expect(dataLossWorsened(risk(3_600_000, T0), risk(7_200_000, T0 + 60_000))).toContain(
      "older than the one accepted",
    );
    expect(dataLossWorsened(undefined, risk(3_600_000, T0))).toContain("nobody accepted that");
    expect(dataLossWorsened(risk(3_600_000, T0), risk(undefined, T0))).toContain("can no longer be measured");
    expect(dataLossWorsened(risk(undefined, T0), risk(undefined, T0 + 60_000))).toBeUndefined();
  });

  it("counts a reading that failed as unknown, never as no risk", () => {
    expect(unreadRisk({ tier: "tier1", targetMs: 900_000 }, "timeout", T0)).toEqual({
      targetMs: 900_000,
      tier: "tier1",
      unknown: ["the RPO reading (timeout)"],
      readAt: T0,
    });
  });
});
