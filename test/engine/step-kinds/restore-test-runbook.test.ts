import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load-config.js";
import { loadRunbooks } from "../../../src/config/load-runbooks.js";
import { buildPlan } from "../../../src/domain/plan.js";
import { resolveScope } from "../../../src/domain/scope.js";
import { k8sDeleteNamespaceStep } from "../../../src/engine/step-kinds/k8s-delete-namespace.js";
import { createStepKindRegistry } from "../../../src/engine/step-kinds/registry.js";
import { testConfig } from "../../support/config-fixture.js";

describe("the monthly restore test", () => {
  it("restores one application into scratch namespaces on DR, checks its workloads there and deletes them", async () => {
    const config = await loadConfig("drbot.example.yaml");
    const registry = createStepKindRegistry();
    const runbooks = await loadRunbooks("runbooks", config, registry);
    const runbook = runbooks.get("restore-test")!;
    expect(runbook.kind).toBe("verify");
    const plan = buildPlan({
      runbook,
      config,
      scope: resolveScope(config, ["payments"], "verify"),
      mode: "real",
      catalog: registry,
    });
    const byId = (prefix: string) => plan.steps.filter((s) => s.id.startsWith(prefix));
    expect(byId("restore")[0]?.params).toMatchObject({
      site: "dc2",
      namespaces: ["production", "staging"],
      namespacePrefix: "drbot-restore-",
    });
    expect(byId("wait-ready").map((s) => s.params.namespace)).toEqual([
      "drbot-restore-production",
      "drbot-restore-staging",
    ]);
    expect(byId("delete-scratch").map((s) => [s.params.site, s.params.namespace])).toEqual([
      ["dc2", "drbot-restore-production"],
      ["dc2", "drbot-restore-staging"],
    ]);
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
