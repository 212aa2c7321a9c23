import { performance } from "node:perf_hooks";
import { KubernetesSite } from "../src/adapters/kubernetes/kubernetes-site.js";
import { MemoryRunStore } from "../src/adapters/memory/memory-run-store.js";
import { configSchema } from "../src/domain/config.js";
import { buildPlan } from "../src/domain/plan.js";
import { initialStepRecords } from "../src/domain/run.js";
import { runbookSchema } from "../src/domain/runbook.js";
import { resolveScope } from "../src/domain/scope.js";
import { RunEngine } from "../src/engine/run-engine.js";
import { createStepKindRegistry } from "../src/engine/step-kinds/registry.js";
import { silentLogger } from "../src/ports/logger.js";
import { runRecord } from "../test/support/run-fixtures.js";

/**
 * drbot's half of the failover benchmark, in a process of its own: activates every deployment of
 * the given namespaces of DC2 through the engine, then prints one JSON line with the time, the API
 * calls and the process's peak RSS. Usage: failover-activation.ts KUBECONFIG '["ns",…]'
 */
const REPLICAS = 1;

async function main(): Promise<void> {
  const [kubeconfig, namespacesJson] = process.argv.slice(2);
  if (!kubeconfig || !namespacesJson)
    throw new Error("usage: failover-activation.ts KUBECONFIG NAMESPACES_JSON");
  const namespaces = JSON.parse(namespacesJson) as string[];
  const config = configSchema.parse({
    sites: [
      { name: "dc1", role: "primary", kubeconfig: { path: kubeconfig, context: "dc1" } },
      { name: "dc2", role: "dr", kubeconfig: { path: kubeconfig, context: "dc2" } },
    ],
    tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
    applications: [
      {
        name: "bench",
        tier: "tier1",
        namespaces,
        workloads: namespaces.map((ns) => ({ namespace: ns, name: "*", replicas: REPLICAS })),
      },
    ],
  });
  const runbook = runbookSchema.parse({
    name: "bench",
    title: "Activate DR",
    kind: "failover",
    phases: [
      {
        name: "activate",
        steps: [
          {
            id: "scale-up",
            title: "Scale up",
            kind: "k8s.scale",
            forEach: "workload",
            concurrency: 20,
            with: {
              site: "dc2",
              namespace: "{{workload.namespace}}",
              name: "*",
              replicas: REPLICAS,
              concurrency: 10,
            },
          },
          {
            id: "wait-ready",
            title: "Wait",
            kind: "k8s.wait-ready",
            forEach: "workload",
            concurrency: 20,
            with: {
              site: "dc2",
              namespace: "{{workload.namespace}}",
              name: "*",
              replicas: REPLICAS,
              concurrency: 10,
            },
            timeout: "5m",
          },
        ],
      },
    ],
  });
  let apiCalls = 0;
  const site = new KubernetesSite(config.sites[1]!);
  const counted = new Proxy(site, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function" || prop === "constructor") return value;
      return (...args: unknown[]) => {
        if (prop !== "waitForRollout") apiCalls++;
        return value.apply(target, args);
      };
    },
  });
  const registry = createStepKindRegistry();
  const store = new MemoryRunStore({ now: () => Date.now() });
  const scope = resolveScope(config, ["bench"], "failover");
  const plan = buildPlan({ runbook, config, scope, mode: "real", catalog: registry });
  const now = Date.now();
  // An approved run ready to drive; the fixture fills in the fields a benchmark does not vary.
  const record = runRecord({
    id: "bench-failover",
    runbook: "bench",
    scopeKey: "bench",
    scope,
    plan,
    state: "approved",
    requiredApprovals: 0,
    createdAt: now,
    updatedAt: now,
    expiresAt: now + 3_600_000,
    rto: { requestedAt: now },
  });
  await store.createRun(record, initialStepRecords(plan), {
    type: "run.requested",
    at: now,
    actor: "bench",
    runId: record.id,
    data: {},
  });
  const reads = { count: 0 };
  const originalRead = site.read.bind(site);
  site.read = async (ref) => {
    reads.count++;
    return originalRead(ref);
  };
  const engine = new RunEngine({
    store,
    registry,
    config,
    clock: { now: () => Date.now() },
    ownerId: "bench",
    leaseTtlMs: 15_000,
    maxParallelSteps: 40,
    scopeTtlMs: 60_000,
    log: silentLogger,
    observer: { onRunEvent: () => {} },
    services: {
      commands: { run: async () => Promise.reject(new Error("none")) },
      secrets: [],
      sites: { site: () => counted },
    },
  });
  const rssBeforeRunMb = process.memoryUsage().rss / 2 ** 20;
  const drbotStart = performance.now();
  const outcome = await engine.drive(record.id);
  const drbotMs = performance.now() - drbotStart;
  if (!outcome.driven || outcome.state !== "completed")
    throw new Error(`drbot's activation ended ${JSON.stringify(outcome)}`);
  process.stdout.write(
    `${JSON.stringify({
      ms: drbotMs,
      apiCalls: apiCalls + reads.count,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
      rssBeforeRunMb,
    })}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
