import { describe, expect, it } from "vitest";
import { servingProbes } from "../../src/app/serving-probes.js";
import { initialServing } from "../../src/domain/site-state.js";
import type { SitePort } from "../../src/ports/site.js";
import { testConfig } from "../support/config-fixture.js";
import { servingAfterFailover } from "../support/serving.js";

/** payments has a check on each site and one global; the others none. */
const config = testConfig();
config.applications[0]!.healthChecks = [
  { name: "dc1", url: "http://dc1.example/healthz", site: "dc1", expectStatus: 200, timeout: 1_000 },
  { name: "dc2", url: "http://dc2.example/healthz", site: "dc2", expectStatus: 200, timeout: 1_000 },
  { name: "global", url: "http://app.example/healthz", expectStatus: 200, timeout: 1_000 },
];

/** Sites whose health says ready; enough for the probes to be built and named. */
const sites = {
  site: (name: string) =>
    ({
      name,
      health: async () => ({
        site: name,
        reachable: true,
        ready: true,
        nodes: [],
        readyNodes: 1,
        latencyMs: 1,
      }),
    }) as unknown as SitePort,
};

const described = (probes: ReturnType<typeof servingProbes>) =>
  probes.map((p) => `${p.target} ${p.site} ${p.remedy} ${p.applications.join(",")}`);

describe("what the watcher probes", () => {
  it("probes the primary alone while it serves everything: its API server and the checks that belong to it", () => {
    expect(described(servingProbes(config, initialServing(config), sites))).toEqual([
      "api:dc1 dc1 failover payments,core-api,analytics",
      "app:payments/dc1 dc1 failover payments",
      "app:payments/global dc1 failover payments",
    ]);
  });

  it("probes DR for what it serves after a failover, and the primary only for what it still serves", () => {
    expect(described(servingProbes(config, servingAfterFailover(config, ["payments"]), sites))).toEqual([
      "api:dc1 dc1 failover core-api,analytics",
      "api:dc2 dc2 failback payments",
      "app:payments/dc2 dc2 failback payments",
      "app:payments/global dc2 failback payments",
    ]);
  });

  it("no longer probes a primary every application has failed over from", () => {
    const all = servingAfterFailover(config, ["payments", "core-api", "analytics"]);
    expect(servingProbes(config, all, sites).map((p) => p.site)).not.toContain("dc1");
  });

  it("answers from the site's health: a ready site is up", async () => {
    const [api] = servingProbes(config, initialServing(config), sites);
    expect(await api!.check(AbortSignal.timeout(1_000))).toEqual({
      ok: true,
      detail: "ready, 1 node(s) Ready",
    });
  });
});
