import { describe, expect, it } from "vitest";
import { planText } from "../../src/cli/render-text.js";
import { loadConfig } from "../../src/config/load-config.js";
import { loadRunbooks } from "../../src/config/load-runbooks.js";
import type { Config } from "../../src/domain/config.js";
import { buildPlan } from "../../src/domain/plan.js";
import type { PlanStep } from "../../src/domain/run.js";
import { resolveScope } from "../../src/domain/scope.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";

/**
 * What an abort (or a failure) of the shipped failover and failback does to the site they move
 * away from. Before the promotion, that site still serves: what the run stopped there (its batch
 * jobs, its backups, its writes) is given back. Once the promotion started, nothing is: writes back
 * on it would make two writable primaries. Traffic and the serving record are never undone: the
 * way home is a failback, with its own approvals.
 */
async function shippedPlan(name: "failover" | "failback") {
  const base = await loadConfig("drbot.example.yaml");
  // One CronJob per application, so the CronJob steps have instances.
  const config: Config = {
    ...base,
    applications: base.applications.map((a) => ({
      ...a,
      cronJobs: [{ namespace: a.namespaces[0]!, name: `${a.name}-nightly` }],
    })),
  };
  const registry = createStepKindRegistry();
  const runbook = (await loadRunbooks("runbooks", config, registry)).get(name)!;
  const scope = resolveScope(config, ["payments", "core-api"], "failover");
  const from = config.sites.find((s) => s.role === (name === "failover" ? "primary" : "dr"))!.name;
  const to = config.sites.find((s) => s.role === (name === "failover" ? "dr" : "primary"))!.name;
  const plan = buildPlan({
    runbook,
    config,
    scope: name === "failover" ? scope : { ...scope, fromSite: from, toSite: to },
    mode: "real",
    catalog: registry,
  });
  const undoNames = (s: PlanStep, site: string) =>
    s.undo !== undefined && JSON.stringify(s.undo.params).includes(JSON.stringify(site));
  return { plan, from, undoNames };
}

describe("the shipped failover, stopped", () => {
  it("gives the primary back only what the planned path stopped, and only until promote-database starts", async () => {
    const { plan, from, undoNames } = await shippedPlan("failover");
    const backToPrimary = plan.steps.filter((s) => undoNames(s, from));
    expect(backToPrimary.map((s) => [s.runbookStepId, s.undo?.kind, s.undo?.until])).toEqual([
      ["suspend-primary-cronjobs", "k8s.cronjobs", "promote-database"],
      ["suspend-primary-cronjobs", "k8s.cronjobs", "promote-database"],
      ["primary-backups-read-only", "velero.storage-location", "promote-database"],
      ["stop-writes", "db.read-write", "promote-database"],
    ]);
    expect(backToPrimary[0]?.undo?.params).toMatchObject({ suspend: false, onlySuspendedByRun: true });
    expect(backToPrimary[2]?.undo?.params).toMatchObject({ accessMode: "as-before-run" });
    // Every one of them is on the planned path, and the promotion comes after them.
    for (const step of backToPrimary) expect(step.when).toEqual({ step: "probe-primary", is: ["reachable"] });
    const at = (id: string) => plan.steps.findIndex((s) => s.runbookStepId === id);
    expect(at("promote-database")).toBeGreaterThan(at("replica-caught-up"));
    expect(plan.steps.find((s) => s.id === "replica-caught-up")?.onFailure).toBe("abort");
  });

  it("never undoes the emergency path's fencing, the traffic or the serving record", async () => {
    const { plan } = await shippedPlan("failover");
    const kept = plan.steps.filter(
      (s) =>
        s.when?.is.includes("unreachable") ||
        ["switch-dns", "record-serving", "scale-primary-down"].includes(s.runbookStepId),
    );
    expect(kept.map((s) => s.runbookStepId)).toEqual(
      expect.arrayContaining([
        "fence-primary-cronjobs",
        "fence-primary-backups",
        "fence-primary",
        "switch-dns",
      ]),
    );
    expect(kept.filter((s) => s.undo).map((s) => s.id)).toEqual([]);
  });

  it("shows each undo and its point of no return on the plan", async () => {
    const { plan } = await shippedPlan("failover");
    const text = planText(plan);
    expect(text).toMatch(
      /stop-writes +stop the writes on .*\n +↩ undone \(take the writes back on .*\) if the run ends before promote-database starts, never after/,
    );
  });
});

describe("the shipped failback, stopped", () => {
  it("gives DR back its CronJobs and writes only until promote-primary-database starts", async () => {
    const { plan, from, undoNames } = await shippedPlan("failback");
    const backToDr = plan.steps.filter((s) => undoNames(s, from));
    expect(backToDr.map((s) => [s.runbookStepId, s.undo?.kind, s.undo?.until])).toEqual([
      ["suspend-dr-cronjobs", "k8s.cronjobs", "promote-primary-database"],
      ["suspend-dr-cronjobs", "k8s.cronjobs", "promote-primary-database"],
      ["stop-dr-writes", "db.read-write", "promote-primary-database"],
    ]);
    expect(plan.steps.find((s) => s.id === "primary-caught-up")?.onFailure).toBe("abort");
    expect(plan.steps.filter((s) => s.undo && !s.undo.until).map((s) => s.id)).toEqual([]);
  });
});
