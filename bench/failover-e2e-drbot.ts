import { performance } from "node:perf_hooks";
import { MemoryRunStore } from "../src/adapters/memory/memory-run-store.js";
import { parseEnvironment } from "../src/config/environment.js";
import { loadConfig } from "../src/config/load-config.js";
import { measureRto } from "../src/domain/rto.js";
import type { StepRecord } from "../src/domain/run.js";
import { createRuntime, kubernetesSites, veleroSites } from "../src/runtime/create-runtime.js";

/**
 * drbot's half of the end-to-end failover benchmark, in a process of its own (compiled to JavaScript,
 * as in the image): the shipped runbooks and the given configuration, a failover of every
 * application requested and approved by two people, then driven to completion. Prints one JSON line:
 * the time from the last approval to the run's end, the RTO phases, each runbook phase's wall time,
 * the calls drbot made to the Kubernetes and Velero APIs (one per port call; a rollout wait counts
 * once) and the process's peak RSS. Usage: failover-e2e-drbot.ts CONFIG RUNBOOKS_DIR APPLICATION
 */
async function main(): Promise<void> {
  const [configPath, runbooksDir, application] = process.argv.slice(2);
  if (!configPath || !runbooksDir || !application)
    throw new Error("usage: failover-e2e-drbot.ts CONFIG RUNBOOKS_DIR APPLICATION");
  const config = await loadConfig(configPath);
  const calls = { count: 0 };
  const runtime = await createRuntime({
    configPath,
    runbooksDir,
    // The process's environment, parsed once as drbot serve does (the database password's variable).
    env: parseEnvironment(process.env),
    store: new MemoryRunStore({ now: () => Date.now() }),
    autoStart: false,
    sites: counting(kubernetesSites(config), calls),
    velero: counting(veleroSites(config), calls),
  });
  try {
    const { run } = await runtime.service.request({
      actor: "U0ONCALL",
      runbook: "failover",
      targets: [application],
      reason: "DC1 is down",
      source: "cli",
    });
    for (const approver of ["U0A1", "U0A2"])
      await runtime.service.approve({
        actor: approver,
        runId: run.id,
        planHash: run.plan.hash,
        acceptsDataLoss: true,
      });
    calls.count = 0;
    const rssBeforeRunMb = process.memoryUsage().rss / 2 ** 20;
    const started = performance.now();
    const outcome = await runtime.engine.drive(run.id);
    const ms = performance.now() - started;
    const done = (await runtime.store.getRun(run.id))!;
    const steps = await runtime.store.getSteps(run.id);
    // With DC1 down, steps that need it and may fail (onFailure: continue) end the run
    // completed_with_exceptions; anything else that did not complete is a failed benchmark.
    const exceptions = [...steps.values()].filter((s) => s.status !== "succeeded" && s.status !== "skipped");
    if (!outcome.driven || !["completed", "completed_with_exceptions"].includes(done.state))
      throw new Error(
        `the failover ended ${done.state}: ${JSON.stringify(exceptions.map((s) => [s.id, s.status, s.error]))}`,
      );
    const rto = measureRto(done.rto, 0, Date.now());
    process.stdout.write(
      `${JSON.stringify({
        ms,
        state: done.state,
        exceptions: exceptions.map((s) => `${s.id} ${s.status}: ${s.error ?? ""}`),
        activationMs: rto.activationMs,
        validationMs: rto.validationMs,
        phases: spans(done.plan.steps, steps, (s) => s.phase),
        steps: spans(done.plan.steps, steps, (s) => s.runbookStepId),
        apiCalls: calls.count,
        peakRssMb: process.resourceUsage().maxRSS / 1024,
        rssBeforeRunMb,
        restore: steps
          .get("restore-backup")
          ?.output?.split("\n")
          .find((l) => l.includes("Completed with")),
      })}\n`,
    );
  } finally {
    await runtime.close();
  }
}

/** Wall time of each group of steps (a runbook phase, a runbook step and its instances): first start to last end. */
function spans<S extends { id: string; phase: string; runbookStepId: string }>(
  plan: readonly S[],
  steps: ReadonlyMap<string, StepRecord>,
  keyOf: (step: S) => string,
): Record<string, number> {
  const found = new Map<string, { from: number; to: number }>();
  for (const step of plan) {
    const record = steps.get(step.id);
    if (record?.startedAt === undefined || record.endedAt === undefined) continue;
    const span = found.get(keyOf(step)) ?? { from: record.startedAt, to: record.endedAt };
    found.set(keyOf(step), {
      from: Math.min(span.from, record.startedAt),
      to: Math.max(span.to, record.endedAt),
    });
  }
  return Object.fromEntries([...found].map(([key, s]) => [key, s.to - s.from]));
}

/** The same services, counting every call made to a site's or Velero's port. */
function counting<T extends object>(services: T, calls: { count: number }): T {
  const wrapped = new Map<unknown, unknown>();
  return new Proxy(services, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const port = value.apply(target, args) as object;
        if (!wrapped.has(port))
          wrapped.set(
            port,
            new Proxy(port, {
              get(p, name, r) {
                const member = Reflect.get(p, name, r);
                if (typeof member !== "function" || name === "constructor") return member;
                return (...a: unknown[]) => {
                  calls.count++;
                  return member.apply(p, a);
                };
              },
            }),
          );
        return wrapped.get(port);
      };
    },
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
