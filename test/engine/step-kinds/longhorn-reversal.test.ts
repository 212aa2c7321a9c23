import { describe, expect, it } from "vitest";
import { loadRunbooks } from "../../../src/config/load-runbooks.js";
import { buildPlan } from "../../../src/domain/plan.js";
import { resolveScope } from "../../../src/domain/scope.js";
import { createStepKindRegistry } from "../../../src/engine/step-kinds/registry.js";
import { testConfig } from "../../support/config-fixture.js";
import { servingAfterFailover } from "../../support/serving.js";

/**
 * The shipped failback reverses Longhorn's replication in the order its DR model allows, read from
 * the plan (the steps themselves are tested on two clusters in test/k8s/failover-data-e2e).
 */
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
  dns: {
    provider: { kind: "webhook", url: "http://127.0.0.1:9/weights" },
    records: [{ name: "app.example.com", applications: ["payments"], weights: { dc1: 100, dc2: 0 } }],
  },
});
config.applications[0]!.dataSources = ["pg", "longhorn-payments"];

async function failbackPlan() {
  const registry = createStepKindRegistry();
  const failback = (await loadRunbooks("runbooks", config, registry)).get("failback")!;
  return buildPlan({
    runbook: failback,
    config,
    scope: resolveScope(config, ["payments"], "failback", {
      serving: servingAfterFailover(config, ["payments"]),
    }),
    mode: "real",
    catalog: registry,
  }).steps;
}

describe("the shipped failback's Longhorn reversal", () => {
  it("backs DR's volumes up and makes the primary's DR volumes of those backups while DR still serves", async () => {
    const steps = await failbackPlan();
    const at = (id: string) => steps.findIndex((s) => s.id === id);
    expect(steps.find((s) => s.id === "back-up-dr-volumes")).toMatchObject({
      kind: "longhorn.backup",
      params: { site: "dc2", sources: "*" },
    });
    expect(steps.find((s) => s.id === "primary-volumes-standby")).toMatchObject({
      kind: "longhorn.standby",
      params: { site: "dc1", sources: "*", fromStep: "back-up-dr-volumes" },
    });
    expect(at("back-up-dr-volumes")).toBeLessThan(at("primary-volumes-standby"));
    expect(at("primary-volumes-standby")).toBeLessThan(at("stop-dr-writes"));
  });

  it("takes the last backup after DR's writes stopped and activates the primary from exactly it, before its workloads are waited for and DNS moves", async () => {
    const steps = await failbackPlan();
    const at = (id: string) => steps.findIndex((s) => s.id === id);
    expect(steps.find((s) => s.id === "activate-primary-volumes")).toMatchObject({
      kind: "longhorn.activate",
      params: { site: "dc1", sources: "*", fromStep: "last-dr-volume-backup" },
    });
    expect(at("stop-dr-writes")).toBeLessThan(at("last-dr-volume-backup"));
    expect(at("last-dr-volume-backup")).toBeLessThan(at("activate-primary-volumes"));
    expect(at("activate-primary-volumes")).toBeLessThan(
      steps.findIndex((s) => s.id.startsWith("wait-primary")),
    );
    expect(steps.findIndex((s) => s.id.startsWith("wait-primary"))).toBeLessThan(at("switch-dns"));
  });

  it("makes DR's volumes DR volumes again only once DNS moved, one TTL passed and DR was scaled down", async () => {
    const steps = await failbackPlan();
    const at = (id: string) => steps.findIndex((s) => s.id === id);
    expect(steps.find((s) => s.id === "dr-volumes-standby")).toMatchObject({
      kind: "longhorn.standby",
      params: { site: "dc2", sources: "*" },
    });
    expect(at("switch-dns")).toBeLessThan(at("dns-ttl-passed"));
    expect(at("dns-ttl-passed")).toBeLessThan(at("dr-volumes-standby"));
    expect(steps.findLastIndex((s) => s.id.startsWith("scale-dr-down"))).toBeLessThan(
      at("dr-volumes-standby"),
    );
  });
});
