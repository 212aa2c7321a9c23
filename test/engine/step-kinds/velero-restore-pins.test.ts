import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load-config.js";
import { loadRunbooks } from "../../../src/config/load-runbooks.js";
import { buildPlan } from "../../../src/domain/plan.js";
import { resolveScope } from "../../../src/domain/scope.js";
import { createStepKindRegistry } from "../../../src/engine/step-kinds/registry.js";

/** `/dr failover --backup NAME` reaches the restore step through the plan's pins. */
const registry = createStepKindRegistry();

async function failoverPlan(pins?: Record<string, string>) {
  const config = await loadConfig("drbot.example.yaml");
  const runbooks = await loadRunbooks("runbooks", config, registry);
  const runbook = [...runbooks.values()].find((r) => r.kind === "failover")!;
  return buildPlan({
    runbook,
    config,
    scope: resolveScope(config, ["tier1"], "failover"),
    mode: "real",
    catalog: registry,
    ...(pins ? { pins } : {}),
  });
}

describe("a pinned backup", () => {
  it("replaces 'newest' in the shipped failover runbook's restore step, in its params and its summary", async () => {
    const plan = await failoverPlan({ backup: "daily-backup-20261124010000" });
    const restore = plan.steps.find((s) => s.kind === "velero.restore")!;
    expect(restore.params.backup).toBe("daily-backup-20261124010000");
    expect(restore.summary).toMatch(/from backup daily-backup-20261124010000/);
  });

  it("changes the plan's hash, so approvals given for the newest backup do not carry over", async () => {
    const newest = await failoverPlan();
    const pinned = await failoverPlan({ backup: "daily-backup-20261124010000" });
    expect(newest.steps.find((s) => s.kind === "velero.restore")!.params.backup).toBe("newest");
    expect(pinned.hash).not.toBe(newest.hash);
  });
});
