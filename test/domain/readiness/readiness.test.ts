import { describe, expect, it } from "vitest";
import {
  applicationReadiness,
  openFindings,
  type ReadinessFinding,
  tierReadiness,
  worstVerdict,
} from "../../../src/domain/readiness/readiness.js";

const finding = (
  check: ReadinessFinding["check"],
  verdict: ReadinessFinding["verdict"],
): ReadinessFinding => ({
  check,
  verdict,
  summary: `${check} ${verdict}`,
  evidence: [],
});

describe("readiness verdicts", () => {
  it("an application is as ready as its worst finding, not_ready outranking a check that could not read", () => {
    expect(worstVerdict([])).toBe("ready");
    expect(worstVerdict(["ready", "degraded"])).toBe("degraded");
    expect(worstVerdict(["degraded", "unknown"])).toBe("unknown");
    expect(worstVerdict(["unknown", "not_ready", "degraded"])).toBe("not_ready");
    expect(applicationReadiness("payments", "tier-1", [finding("drift", "degraded")]).verdict).toBe(
      "degraded",
    );
  });

  it("a tier takes the worst of its own applications only", () => {
    const apps = [
      applicationReadiness("payments", "tier-1", [finding("data", "not_ready")]),
      applicationReadiness("ledger", "tier-1", [finding("drift", "ready")]),
      applicationReadiness("blog", "tier-3", [finding("drill", "degraded")]),
    ];
    const tiers = tierReadiness(["tier-1", "tier-2", "tier-3"], apps);
    expect(tiers.map((t) => [t.tier, t.verdict])).toEqual([
      ["tier-1", "not_ready"],
      ["tier-2", "ready"],
      ["tier-3", "degraded"],
    ]);
    expect(tiers[0]?.applications.map((a) => a.application)).toEqual(["payments", "ledger"]);
  });

  it("a scope's open findings are those of its applications that are not ready, worst first", () => {
    const report = {
      readAt: 0,
      tookMs: 1,
      tiers: [],
      applications: [
        applicationReadiness("payments", "tier-1", [
          finding("drill", "degraded"),
          finding("data", "not_ready"),
          finding("capacity", "ready"),
        ]),
        applicationReadiness("blog", "tier-3", [finding("drift", "not_ready")]),
      ],
    };
    expect(openFindings(report, ["payments"]).map((f) => [f.application, f.check, f.verdict])).toEqual([
      ["payments", "data", "not_ready"],
      ["payments", "drill", "degraded"],
    ]);
  });
});
