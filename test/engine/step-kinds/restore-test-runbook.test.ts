import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load-config.js";
import { loadRunbooks } from "../../../src/config/load-runbooks.js";
import { buildPlan } from "../../../src/domain/plan.js";
import { resolveScope } from "../../../src/domain/scope.js";
import { k8sDeleteNamespaceStep } from "../../../src/engine/step-kinds/k8s-delete-namespace.js";
import { createStepKindRegistry } from "../../../src/engine/step-kinds/registry.js";
import { testConfig } from "../../support/config-fixture.js";

async function planFor(targets: string[], restoreTest?: Record<string, unknown>) {
  const loaded = await loadConfig("drbot.example.yaml");
  const config = restoreTest
    ? {
        ...loaded,
        applications: loaded.applications.map((a) =>
          a.name === "payments" ? { ...a, restoreTest: { replicas: 0, include: [], ...restoreTest } } : a,
        ),
      }
    : loaded;
  const registry = createStepKindRegistry();
  const runbook = (await loadRunbooks("runbooks", config as typeof loaded, registry)).get("restore-test")!;
  expect(runbook.kind).toBe("verify");
  return buildPlan({
    runbook,
    config: config as typeof loaded,
    scope: resolveScope(config as typeof loaded, targets, "verify"),
    mode: "real",
    catalog: registry,
  });
}

describe("the monthly restore test", () => {
  it("checks DR is the standby, closes the sandbox, then restores into it at 0 replicas without what could act on the world", async () => {
    const plan = await planFor(["payments"]);
    const order = plan.steps.map((s) => s.id);
    expect(order).toEqual([
      "dr-is-standby",
      "sandbox.production",
      "sandbox.staging",
      "restore.payments",
      "compare",
      "delete-sandbox.production",
      "delete-sandbox.staging",
      "verify-clean",
      "announce",
    ]);
    const byId = (id: string) => plan.steps.find((s) => s.id === id)!;
    // Never while DR serves: checked first, and the run ends (and cleans up) when it does.
    expect(byId("dr-is-standby")).toMatchObject({
      kind: "site.standby",
      params: { site: "dc2" },
      onFailure: "abort",
    });
    // The sandbox exists, closed, before anything is restored: the restore waits for it.
    expect(byId("sandbox.production")).toMatchObject({
      kind: "k8s.sandbox",
      params: { site: "dc2", namespace: "drbot-restore-production" },
      onFailure: "abort",
      undo: {
        kind: "k8s.delete-namespace",
        params: { namespace: "drbot-restore-production", ownedByRun: true },
      },
    });
    expect(byId("restore.payments").needs).toEqual(["sandbox.production", "sandbox.staging"]);
    expect(byId("restore.payments").params).toMatchObject({
      site: "dc2",
      namespaces: ["production", "staging"],
      namespacePrefix: "drbot-restore-",
      sandbox: { replicas: 0, include: [] },
    });
    // Velero cannot stop a restore: an abort waits for its end before the sandbox is deleted.
    expect(byId("restore.payments").undo).toMatchObject({
      kind: "velero.settle-restores",
      params: { site: "dc2" },
    });
    expect(byId("restore.payments").summary).toContain(
      "without pods, replicasets.apps, ingresses.networking.k8s.io, cronjobs.batch, jobs.batch, secrets, workloads created at 0 replicas, nothing cluster-scoped",
    );
    expect(byId("compare")).toMatchObject({ kind: "velero.verify-restore", params: { site: "dc2" } });
    // Cleanup runs whatever happens, deletes only what this run made, and proves it gone.
    for (const id of ["delete-sandbox.production", "delete-sandbox.staging", "verify-clean"])
      expect(byId(id).always).toBe(true);
    expect(byId("delete-sandbox.staging").params).toEqual({
      site: "dc2",
      namespace: "drbot-restore-staging",
      ownedByRun: true,
    });
    expect(byId("verify-clean").params).toEqual({ sites: ["dc2"] });
  });

  it("waits for readiness only of workloads the application's restore test starts", async () => {
    // payments holds its workloads at 0 (the default): nothing to wait for.
    expect((await planFor(["payments"])).steps.filter((s) => s.kind === "k8s.wait-ready")).toEqual([]);
    const started = await planFor(["payments"], { replicas: 1, include: ["cronjobs"] });
    const waits = started.steps.filter((s) => s.kind === "k8s.wait-ready");
    expect(waits.map((s) => [s.params.namespace, s.params.replicas])).toEqual([
      ["drbot-restore-production", 1],
      ["drbot-restore-staging", 1],
    ]);
    const restore = started.steps.find((s) => s.id === "restore.payments")!;
    expect(restore.summary).toContain(
      "without pods, replicasets.apps, ingresses.networking.k8s.io, jobs.batch, secrets,",
    );
    expect(restore.summary).toContain("workloads created at 1 replicas");
  });

  it("deletes only scratch namespaces, never one an application lives in", async () => {
    expect(k8sDeleteNamespaceStep.params.safeParse({ site: "dc2", namespace: "production" }).success).toBe(
      false,
    );
    const ctx = {
      config: testConfig({
        applications: [{ name: "odd", tier: "tier1", namespaces: ["drbot-restore-odd"] }],
      }),
    };
    const result = await k8sDeleteNamespaceStep.execute(ctx as never, {
      site: "dc2",
      namespace: "drbot-restore-odd",
    });
    expect(result).toMatchObject({
      status: "failed",
      error: expect.stringContaining("belongs to application odd"),
    });
  });
});
