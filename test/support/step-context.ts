import type { Config } from "../../src/domain/config.js";
import type { StepContext, StepServices } from "../../src/engine/step-kind.js";
import { silentLogger } from "../../src/ports/logger.js";
import { noCommands } from "./engine-harness.js";

/**
 * A StepContext for calling one step kind directly: a real run of `applications` from dc1 to dc2,
 * a 30 s deadline, the given services, and its log lines collected in `lines`.
 */
export function stepContext(
  config: Config,
  options: { services?: Partial<StepServices>; lines?: string[]; applications?: string[] } = {},
): StepContext {
  const lines = options.lines ?? [];
  return {
    run: { id: "failover-test", kind: "failover", mode: "real", requestedBy: "U0ONCALL", reason: "test" },
    step: {
      id: "step",
      runbookStepId: "step",
      phase: "activate",
      rtoPhase: "activation",
      title: "step",
      kind: "test",
      params: {},
      timeoutMs: 30_000,
      retries: 0,
      retryDelayMs: 0,
      onFailure: "pause",
      needs: [],
      summary: "step",
    },
    attempt: 1,
    mode: "real",
    scope: {
      applications: options.applications ?? ["payments"],
      tiers: ["tier1"],
      fromSite: "dc1",
      toSite: "dc2",
    },
    config,
    signal: AbortSignal.timeout(30_000),
    deadline: Date.now() + 30_000,
    clock: { now: () => Date.now() },
    services: { commands: noCommands, secrets: [], ...options.services },
    logger: silentLogger,
    log: (line) => void lines.push(line),
    attestations: [],
  };
}
