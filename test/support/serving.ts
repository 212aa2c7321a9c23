import type { Config } from "../../src/domain/config.js";
import { type Serving, servingSites } from "../../src/domain/site-state.js";

/**
 * Which site serves each application after a failover of `applications` to the DR site dc2 (by run
 * `runId`, an hour before `at`); every other application is still at home.
 */
export function servingAfterFailover(
  config: Config,
  applications: readonly string[],
  options: { runId?: string; at?: number } = {},
): Serving[] {
  const at = options.at ?? 1_780_000_000_000;
  return servingSites(
    config,
    applications.map((application) => ({
      application,
      from: "dc1",
      to: "dc2",
      at: at - 3_600_000,
      runId: options.runId ?? "failover-1203-0312-abc123",
      by: "U0ONCALL",
      kind: "failover" as const,
    })),
  );
}
