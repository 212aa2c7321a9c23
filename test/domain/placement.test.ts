import { describe, expect, it } from "vitest";
import { placementWarnings, resolvePlacement } from "../../src/domain/placement.js";
import { testConfig } from "../support/config-fixture.js";

const outside = { inCluster: false, redisHosts: ["redis.example.net"] };

describe("where drbot lives", () => {
  it("warns when the configuration puts drbot or its Redis in the primary site", () => {
    const config = testConfig({ placement: { bot: "dc1", redis: "dc1" } });
    const placement = resolvePlacement(config, outside);
    expect(placement.bot).toEqual({ site: "dc1", how: "config" });
    expect(placementWarnings(config, placement)).toEqual([
      "drbot runs in the primary site dc1 (from the configuration): if dc1 goes down, drbot goes with it; run it outside dc1",
      "drbot's Redis runs in the primary site dc1 (from the configuration): run state would be lost with dc1; keep Redis outside dc1",
    ]);
  });

  it("is quiet when both run in the DR site", () => {
    const config = testConfig({ placement: { bot: "dc2", redis: "dc2" } });
    expect(placementWarnings(config, resolvePlacement(config, outside))).toEqual([]);
  });

  it("says nothing it does not know", () => {
    const config = testConfig();
    const placement = resolvePlacement(config, outside);
    expect(placement).toEqual({
      bot: { site: undefined, how: "unknown" },
      redis: { site: undefined, how: "unknown" },
      notes: [],
    });
    expect(placementWarnings(config, placement)).toEqual([]);
  });

  it("detects the site of a pod from DRBOT_SITE, and an in-cluster Redis service with it", () => {
    const config = testConfig();
    const placement = resolvePlacement(config, {
      inCluster: true,
      siteFromEnv: "dc1",
      redisHosts: ["redis.drbot.svc.cluster.local"],
    });
    expect(placement.bot).toEqual({ site: "dc1", how: "in-cluster" });
    expect(placement.redis).toEqual({ site: "dc1", how: "in-cluster" });
    expect(placementWarnings(config, placement)[0]).toContain(
      "drbot runs in the primary site dc1 (detected in-cluster)",
    );
  });

  it("takes the site reached through the in-cluster service account as the one drbot runs in", () => {
    const config = testConfig({
      sites: [
        { name: "dc1", role: "primary", kubeconfig: { inCluster: true } },
        { name: "dc2", role: "dr", kubeconfig: { path: "/etc/drbot/kubeconfig", context: "dc2" } },
      ],
    });
    const placement = resolvePlacement(config, { inCluster: true, redisHosts: ["10.0.0.5"] });
    expect(placement.bot).toEqual({ site: "dc1", how: "in-cluster" });
    // An IP address could be anywhere: Redis's site stays unknown.
    expect(placement.redis.how).toBe("unknown");
  });

  it("notes when the configuration and the pod disagree", () => {
    const config = testConfig({ placement: { bot: "dc2" } });
    const placement = resolvePlacement(config, { inCluster: true, siteFromEnv: "dc1", redisHosts: [] });
    expect(placement.bot.site).toBe("dc1");
    expect(placementWarnings(config, placement)).toContain(
      "placement.bot says dc2, but drbot runs in a pod of dc1",
    );
  });

  it("refuses a placement naming an unknown site", () => {
    let issues: unknown;
    try {
      testConfig({ placement: { bot: "dc9" } });
    } catch (error) {
      issues = (error as { issues: unknown }).issues;
    }
    expect(issues).toEqual([
      expect.objectContaining({ path: ["placement", "bot"], message: 'unknown site "dc9"' }),
    ]);
  });
});
