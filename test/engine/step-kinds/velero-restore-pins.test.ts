import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load-config.js";
import { loadRunbooks } from "../../../src/config/load-runbooks.js";
import { buildPlan } from "../../../src/domain/plan.js";
import { resolveScope } from "../../../src/domain/scope.js";
import { createStepKindRegistry } from "../../../src/engine/step-kinds/registry.js";
import { servingAfterFailover } from "../../support/serving.js";

/** `/dr failover --backup NAME` reaches the restore step through the plan's pins. */
const registry = createStepKindRegistry();

async function planOf(kind: "failover" | "failback", pins?: Record<string, string>) {
  const config = await loadConfig("drbot.example.yaml");
  const runbooks = await loadRunbooks("runbooks", config, registry);
  const runbook = [...runbooks.values()].find((r) => r.kind === kind)!;
  return buildPlan({
    runbook,
    config,
    scope: resolveScope(config, ["tier1"], kind, {
      serving: servingAfterFailover(config, kind === "failback" ? ["payments", "core-api"] : []),
    }),
    mode: "real",
    catalog: registry,
    ...(pins ? { pins } : {}),
  });
}

const failoverPlan = (pins?: Record<string, string>) => planOf("failover", pins);

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

describe("the shipped failback runbook", () => {
  it("restores on the primary the backup its own backup step took on DR, whatever is pinned", async () => {
    const plan = await planOf("failback", { backup: "daily-backup-20261124010000" });
    const restore = plan.steps.find((s) => s.id === "restore-primary")!;
    expect(restore.params).toMatchObject({ site: "dc1", fromStep: "backup-dr", backup: "newest" });
    expect(restore.summary).toMatch(/^Velero restore on dc1 from the backup taken by step backup-dr/);
  });
});
