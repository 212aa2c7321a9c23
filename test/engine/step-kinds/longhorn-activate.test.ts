import { describe, expect, it } from "vitest";
import { loadRunbooks } from "../../../src/config/load-runbooks.js";
import { buildPlan } from "../../../src/domain/plan.js";
import { resolveScope } from "../../../src/domain/scope.js";
import { longhornActivateStep } from "../../../src/engine/step-kinds/longhorn-activate.js";
import { createStepKindRegistry } from "../../../src/engine/step-kinds/registry.js";
import { testConfig, testRunbook } from "../../support/config-fixture.js";

/** longhorn.activate in a runbook: planned per application from the configuration's data sources. */
const config = testConfig({
  dataSources: [
    { name: "velero", kind: "velero", site: "dc1", schedule: "daily" },
    {
      name: "pg",
      kind: "postgres",
      primary: { host: "127.0.0.1", user: "drbot" },
      replica: { host: "127.0.0.1", user: "drbot" },
    },
    { name: "longhorn-payments", kind: "longhorn", site: "dc2", volumes: ["payments-data"] },
  ],
  // The shipped failover moves traffic too: its DNS switch needs a provider and records.
  dns: {
    provider: { kind: "webhook", url: "http://127.0.0.1:9/weights" },
    records: [{ name: "app.example.com", applications: ["payments"], weights: { dc1: 100, dc2: 0 } }],
  },
});
config.applications[0]!.dataSources = ["pg", "longhorn-payments"];

function plan(step: Record<string, unknown>) {
  return buildPlan({
    runbook: testRunbook({
      phases: [{ name: "data", steps: [{ id: "volumes", title: "Activate volumes", ...step }] }],
    }),
    config,
    scope: resolveScope(config, ["payments", "core-api"], "failover"),
    mode: "real",
    catalog: createStepKindRegistry(),
  });
}

describe("longhorn.activate in a runbook", () => {
  it("is the real step kind, not the declared placeholder", () => {
    expect(createStepKindRegistry().get("longhorn.activate")).toBe(longhornActivateStep);
  });

  it("takes each application's data sources, so one step per application covers its volumes", () => {
    const p = plan({
      kind: "longhorn.activate",
      forEach: "application",
      with: { site: "{{sites.to}}", sources: "{{app.dataSources}}" },
    });
    expect(p.steps.map((s) => [s.params.sources, s.summary])).toEqual([
      [["pg", "longhorn-payments"], "activate the Longhorn volumes of pg, longhorn-payments on dc2"],
      [[], "activate the Longhorn volumes of no source on dc2"],
    ]);
  });

  it("takes every Longhorn source of the run's applications in one step, as the shipped failover does", () => {
    const p = plan({ kind: "longhorn.activate", with: { site: "{{sites.to}}", sources: "*" } });
    expect(p.steps.map((s) => s.summary)).toEqual([
      "activate the Longhorn volumes of the run's applications on dc2",
    ]);
  });

  it("keeps the declared parameters: volumes in a namespace", () => {
    const p = plan({ kind: "longhorn.activate", with: { site: "dc2", volumes: ["portal-data"] } });
    expect(p.steps[0]?.params).toMatchObject({
      site: "dc2",
      volumes: ["portal-data"],
      namespace: "longhorn-system",
    });
  });

  it("refuses a step that names both volumes and sources", () => {
    expect(() =>
      plan({
        kind: "longhorn.activate",
        with: { site: "dc2", volumes: ["portal-data"], sources: ["longhorn-payments"] },
      }),
    ).toThrow(/give either volumes \(and namespace\) or sources/);
  });

  it("is in the shipped failover, before the workloads start, for every Longhorn source in scope", async () => {
    const registry = createStepKindRegistry();
    const failover = (await loadRunbooks("runbooks", config, registry)).get("failover")!;
    const steps = buildPlan({
      runbook: failover,
      config,
      scope: resolveScope(config, ["payments"], "failover"),
      mode: "real",
      catalog: registry,
    }).steps.map((s) => s.id);
    expect(steps).toContain("activate-volumes");
    expect(steps.indexOf("activate-volumes")).toBeLessThan(
      steps.findIndex((id) => id.startsWith("scale-up")),
    );
  });
});
