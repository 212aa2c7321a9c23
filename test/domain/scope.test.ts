import { describe, expect, it } from "vitest";
import { DrError } from "../../src/domain/errors.js";
import { buildPlan } from "../../src/domain/plan.js";
import { describeServing, refuseServingStandby, resolveScope } from "../../src/domain/scope.js";
import { initialServing } from "../../src/domain/site-state.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import { testConfig, testRunbook } from "../support/config-fixture.js";
import { servingAfterFailover } from "../support/serving.js";

/** payments and core-api share app.example.com; analytics has a record of its own. */
const config = testConfig({
  dns: {
    provider: { kind: "webhook", url: "http://127.0.0.1:9/weights" },
    records: [
      { name: "app.example.com", applications: ["payments", "core-api"], weights: { dc1: 100, dc2: 0 } },
      { name: "analytics.example.com", applications: ["analytics"], weights: { dc1: 100, dc2: 0 } },
    ],
  },
});
const paymentsAway = servingAfterFailover(config, ["payments", "core-api"]);

function refusal(run: () => unknown): DrError {
  try {
    run();
  } catch (error) {
    if (error instanceof DrError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("the direction of a run comes from which site serves", () => {
  it("fails over applications served from home to the DR site", () => {
    expect(resolveScope(config, ["analytics"], "failover", { serving: paymentsAway })).toEqual({
      applications: ["analytics"],
      tiers: ["tier3"],
      fromSite: "dc1",
      toSite: "dc2",
    });
  });

  it("fails back applications served from DR to their home", () => {
    expect(resolveScope(config, ["tier1"], "failback", { serving: paymentsAway })).toMatchObject({
      applications: ["payments", "core-api"],
      fromSite: "dc2",
      toSite: "dc1",
    });
  });

  it("refuses a failover of applications DR already serves, saying since when, by which run, and how to bring them home", () => {
    const error = refusal(() => resolveScope(config, ["tier1"], "failover", { serving: paymentsAway }));
    expect(error.code).toBe("already_served");
    expect(error.message).toBe(
      "payments is served from dc2 since 2026-05-28T19:26:40.000Z (failover-1203-0312-abc123); " +
        "core-api is served from dc2 since 2026-05-28T19:26:40.000Z (failover-1203-0312-abc123): " +
        "a failover moves applications from their home site to the DR site, and they are already away from home. " +
        "To bring them home: /dr failback payments core-api",
    );
  });

  it("refuses a failback of applications already home", () => {
    const error = refusal(() => resolveScope(config, ["analytics"], "failback", { serving: paymentsAway }));
    expect(error.code).toBe("already_served");
    expect(error.message).toBe(
      "analytics is served from dc1 (its home): a failback brings applications home, and they are already there",
    );
  });

  it("refuses a scope whose applications are served from different sites, listing where each is", () => {
    const error = refusal(() => resolveScope(config, [], "failover", { serving: paymentsAway }));
    expect(error.code).toBe("mixed_sites");
    expect(error.message).toContain(
      "the applications are served from different sites: payments is served from dc2 since",
    );
    expect(error.message).toContain(
      "analytics is served from dc1 (its home). A failover moves applications served from one site; request them separately",
    );
    expect(error.details.serving).toEqual([
      { application: "payments", site: "dc2" },
      { application: "core-api", site: "dc2" },
      { application: "analytics", site: "dc1" },
    ]);
  });

  it("starts from every application at home when no site state is given", () => {
    expect(resolveScope(config, ["payments", "core-api"], "failover")).toMatchObject({ fromSite: "dc1" });
    expect(() => resolveScope(config, ["analytics"], "failback")).toThrow(/already there/);
  });

  it("takes drills and verify runs from home to the DR site, whatever serves", () => {
    for (const kind of ["drill", "verify"] as const)
      expect(resolveScope(config, ["analytics"], kind, { serving: paymentsAway })).toMatchObject({
        fromSite: "dc1",
        toSite: "dc2",
      });
  });
});

describe("DNS records shared by applications", () => {
  it("refuses a run that would move a record carrying an application outside its scope, naming it", () => {
    const error = refusal(() => resolveScope(config, ["payments"], "failover"));
    expect(error.code).toBe("shared_record");
    expect(error.message).toBe(
      "DNS record app.example.com also carries core-api: a run moves a record only with every application behind it. Name them too, or add --with-shared to include them",
    );
  });

  it("includes the applications that share a record when asked, and says which were added for which record", () => {
    expect(resolveScope(config, ["payments"], "failover", { withShared: true })).toEqual({
      applications: ["payments", "core-api"],
      tiers: ["tier1"],
      fromSite: "dc1",
      toSite: "dc2",
      shared: [{ record: "app.example.com", applications: ["core-api"] }],
    });
  });

  it("grows the scope until no record is split, through records that share only with the added applications", () => {
    const chained = testConfig({
      dns: {
        records: [
          { name: "a.example.com", applications: ["payments", "core-api"], weights: { dc1: 100, dc2: 0 } },
          { name: "b.example.com", applications: ["core-api", "analytics"], weights: { dc1: 100, dc2: 0 } },
        ],
      },
    });
    expect(resolveScope(chained, ["payments"], "failover", { withShared: true })).toMatchObject({
      applications: ["payments", "core-api", "analytics"],
      shared: [
        { record: "a.example.com", applications: ["core-api"] },
        { record: "b.example.com", applications: ["analytics"] },
      ],
    });
  });

  it("does not care about shared records in runs that move no traffic", () => {
    expect(resolveScope(config, ["payments"], "drill").applications).toEqual(["payments"]);
  });

  it("gives a plan of analytics only analytics's record to move", () => {
    const runbook = testRunbook({
      phases: [
        {
          name: "traffic",
          steps: [
            {
              id: "switch-dns",
              title: "DNS",
              kind: "dns.switch",
              with: { records: "{{scope.dnsRecords}}", activeSite: "{{sites.to}}" },
            },
          ],
        },
      ],
    });
    const plan = buildPlan({
      runbook,
      config,
      scope: resolveScope(config, ["analytics"], "failover"),
      mode: "real",
      catalog: createStepKindRegistry(),
    });
    expect(plan.steps[0]!.params.records).toEqual(["analytics.example.com"]);
    expect(plan.steps[0]!.summary).toBe("DNS analytics.example.com → dc2 100");
  });
});

describe("drills and restore tests on the standby", () => {
  it("runs them while the DR site serves nothing", () => {
    expect(() => refuseServingStandby("drill", ["dc1", "dc2"], initialServing(config))).not.toThrow();
  });

  it("refuses one that acts on a site while the DR site serves any application, saying why and what to do", () => {
    const error = refusal(() =>
      refuseServingStandby("verify", ["dc2"], servingAfterFailover(config, ["payments"])),
    );
    expect(error.code).toBe("standby_serving");
    expect(error.message).toBe(
      "payments is served from dc2 since 2026-05-28T19:26:40.000Z (failover-1203-0312-abc123): " +
        "this run runs on the standby, and dc2 is not one while it serves production " +
        "(its namespaces are live; dc1 holds no current data until a failback). Fail back first: /dr failback payments",
    );
    expect(() => refuseServingStandby("drill", ["dc2"], paymentsAway)).toThrow(/a drill runs on the standby/);
  });

  it("never refuses runs that name no site (backup verification), nor failovers and failbacks", () => {
    expect(() => refuseServingStandby("verify", [], paymentsAway)).not.toThrow();
    expect(() => refuseServingStandby("failback", ["dc1", "dc2"], paymentsAway)).not.toThrow();
  });

  it("describes where each application is served", () => {
    expect(describeServing(initialServing(config).slice(0, 1))).toBe(
      "payments is served from dc1 (its home)",
    );
  });
});
