import { buildPlan } from "../../src/domain/plan.js";
import type { RunRecord } from "../../src/domain/run.js";
import { resolveScope } from "../../src/domain/scope.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import { testConfig, testRunbook } from "./config-fixture.js";
import { runRecord } from "./run-fixtures.js";

/**
 * A pending failover of payments requested from Slack, whose plan is built from a one-phase test
 * runbook of `steps` on testConfig(); override what the test is about (id, times, reason…).
 */
export function plannedRun(steps: unknown[], overrides: Partial<RunRecord> = {}): RunRecord {
  const config = testConfig();
  const runbook = testRunbook({ phases: [{ name: "activate", steps }] });
  const scope = resolveScope(config, ["payments"], "failover");
  const plan = buildPlan({ runbook, config, scope, mode: "real", catalog: createStepKindRegistry() });
  return runRecord({
    runbook: "test",
    scopeKey: "k",
    scope,
    plan,
    reason: "DC1 down",
    source: "slack",
    tierRtoMs: 7_200_000,
    tierRpoMs: 900_000,
    ...overrides,
  });
}
