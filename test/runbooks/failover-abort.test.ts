import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { loadRunbooks } from "../../src/config/load-runbooks.js";
import { buildPlan } from "../../src/domain/plan.js";
import { resolveScope } from "../../src/domain/scope.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";

/**
 * What an abort of the shipped failover does to the site failed over from. Undo runs on abort at any
 * step; by the time traffic moves, the primary is fenced and its databases follow DR's, so an undo
 * that sent traffic or the serving record back to it would send users to a site with nothing
 * running. The way home is a failback, with its own approvals.
 */
describe("the shipped failover, aborted", () => {
  it("never undoes towards the site it fails over from: no undo names it", async () => {
    const config = await loadConfig("drbot.example.yaml");
    const registry = createStepKindRegistry();
    const runbook = (await loadRunbooks("runbooks", config, registry)).get("failover")!;
    const plan = buildPlan({
      runbook,
      config,
      scope: resolveScope(config, ["payments", "core-api"], "failover"),
      mode: "real",
      catalog: registry,
    });
    const from = config.sites.find((s) => s.role === "primary")!.name;
    expect(plan.steps.map((s) => s.id)).toEqual(expect.arrayContaining(["fence-primary", "switch-dns"]));
    const backToPrimary = plan.steps
      .filter((s) => s.undo && JSON.stringify(s.undo.params).includes(JSON.stringify(from)))
      .map((s) => s.id);
    expect(backToPrimary).toEqual([]);
  });
});
