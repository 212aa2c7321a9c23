import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { MemorySiteState } from "../../src/adapters/memory/memory-site-state.js";
import { silentLogger } from "../../src/ports/logger.js";
import type { AssessReadiness } from "../../src/ports/readiness.js";
import { readinessChecks } from "../../src/runtime/readiness-checks.js";
import { testConfig } from "../support/config-fixture.js";

const clock = { now: () => Date.UTC(2026, 11, 4) };
const deps = {
  config: testConfig(),
  runbooks: new Map(),
  siteState: new MemorySiteState(),
  runs: new MemoryRunStore(clock),
  clock,
  log: silentLogger,
};

describe("the runtime's readiness checks", () => {
  it("are those it is given, none beside sites given in place of the configured ones, else the configured sites'", async () => {
    const given: AssessReadiness = async () => ({ readAt: 0, tookMs: 0, applications: [], tiers: [] });
    expect(readinessChecks({ assessReadiness: given }, deps)).toBe(given);
    expect(readinessChecks({ sites: {} }, deps)).toBeUndefined();
    // The test configuration's kubeconfig contexts do not exist: each site's checks say so, the round ends.
    const round = await readinessChecks({}, deps)!({ signal: AbortSignal.timeout(10_000) });
    const drift = round.applications[0]!.findings.find((f) => f.check === "drift")!;
    expect(drift.verdict).toBe("unknown");
    expect(drift.evidence.join("\n")).toMatch(/dc1: site dc1: could not load kubeconfig/);
  });
});
