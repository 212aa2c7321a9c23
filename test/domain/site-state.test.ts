import { describe, expect, it } from "vitest";
import { initialServing, isAway, servedBy, servingSites } from "../../src/domain/site-state.js";
import { testConfig } from "../support/config-fixture.js";

const config = testConfig();
const move = {
  application: "payments",
  from: "dc1",
  to: "dc2",
  at: 1_780_000_000_000,
  runId: "failover-1",
  by: "U0ONCALL",
  kind: "failover" as const,
};

describe("which site serves each application", () => {
  it("starts with every application served from its home, the primary", () => {
    expect(initialServing(config)).toEqual([
      { application: "payments", site: "dc1", home: "dc1" },
      { application: "core-api", site: "dc1", home: "dc1" },
      { application: "analytics", site: "dc1", home: "dc1" },
    ]);
  });

  it("follows the newest recorded move of an application, and ignores applications no longer configured", () => {
    const serving = servingSites(config, [move, { ...move, application: "ledger" }]);
    expect(serving[0]).toEqual({ application: "payments", site: "dc2", home: "dc1", move });
    expect(serving.filter(isAway).map((s) => s.application)).toEqual(["payments"]);
    expect(servedBy(serving, "dc1").map((s) => s.application)).toEqual(["core-api", "analytics"]);
  });
});
