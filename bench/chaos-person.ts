import { MemorySiteState } from "../src/adapters/memory/memory-site-state.js";
import { DrService } from "../src/app/dr-service.js";
import type { Config } from "../src/domain/config.js";
import { RunEngine } from "../src/engine/run-engine.js";
import type { StepKindRegistry } from "../src/engine/step-kinds/registry.js";
import { silentLogger } from "../src/ports/logger.js";
import type { RunStore } from "../src/ports/run-store.js";
import { provenService } from "../test/support/proven-service.js";
import { readEffects } from "./chaos-steps.js";

/** The approver who looks at a paused run (not its requester, as drbot requires). */
export const PERSON = "U0BOSS";

/**
 * The person at the keyboard when a run pauses for one: for each failed step of a paused run they
 * check by hand whether its effect took place (here: its line in the run's file), then skip it if
 * it did and resume the run if it did not (after waiting for Redis's replica when the run paused for
 * want of one, as the pause asks), through drbot's own use cases, each act signed with
 * their SSH key and checked as in production. They only decide: the run is carried on by whichever
 * executor's supervisor takes it next (this service drives nothing itself).
 */
export function chaosPerson(o: {
  config: Config;
  store: RunStore;
  registry: StepKindRegistry;
  dir: string;
  /** Resolves once Redis has a replica in sync again (what a pause for want of one asks to wait for). */
  replicaBack: () => Promise<void>;
}) {
  const clock = { now: () => Date.now() };
  const engine = new RunEngine({
    store: o.store,
    registry: o.registry,
    config: o.config,
    clock,
    services: { commands: { run: async () => Promise.reject(new Error("no commands here")) }, secrets: [] },
    ownerId: "person",
    leaseTtlMs: o.config.engine.leaseTtl,
    maxParallelSteps: 1,
    scopeTtlMs: 60_000,
    log: silentLogger,
    observer: { onRunEvent: () => undefined },
  });
  const service = provenService(
    new DrService({
      config: o.config,
      runbooks: new Map(),
      store: o.store,
      siteState: new MemorySiteState(),
      engine,
      registry: o.registry,
      clock,
      directory: { groupsOf: async () => [] },
      observer: { onRunEvent: () => undefined },
      log: silentLogger,
      autoStart: false,
    }),
  );
  /** What they did, in words. */
  return async (runId: string): Promise<string> => {
    const steps = await o.store.getSteps(runId);
    const failed = [...steps.values()].filter((s) => s.status === "failed");
    const effects = readEffects(o.dir, runId);
    const done = failed.filter((s) => effects.some((l) => l.step === s.id && l.ev === "effect"));
    for (const step of done)
      await service.skip({
        actor: PERSON,
        runId,
        stepId: step.id,
        reason: "checked by hand: its effect took place",
      });
    const run = await o.store.getRun(runId);
    const state = run?.state;
    // "Once a replica is back, resume": they wait for it, as the pause says.
    if (state === "paused_failed_step" && /replica/.test(run?.stateReason ?? "")) await o.replicaBack();
    if (state === "paused_failed_step") await service.resume({ actor: PERSON, runId });
    const skipped = done.map((s) => s.id);
    const resumed = failed.filter((s) => !skipped.includes(s.id)).map((s) => s.id);
    return [
      skipped.length ? `skipped ${skipped.join(", ")} (done)` : "",
      resumed.length || state === "paused_failed_step"
        ? `resumed${resumed.length ? ` ${resumed.join(", ")} (not done)` : ""}`
        : "",
    ]
      .filter(Boolean)
      .join(", ");
  };
}
