import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { parseEnvironment } from "../../src/config/environment.js";
import type { Runtime } from "../../src/runtime/create-runtime.js";
import { startTestClusters, type TestClusters } from "../support/k8s-testenv.js";
import { createProvenRuntime } from "../support/proven-runtime.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Bad input reaching a real cluster through a whole run: a missing kubeconfig, a missing context, an
 * unknown namespace or workload, and a Kubernetes user without rights. Each fails its step with what
 * and where, pauses the run, and changes nothing else: the step after it never runs.
 */
let clusters: TestClusters;
let runtime: Runtime;

const CASES = {
  "missing-kubeconfig": { site: "nofile", namespace: "production", name: "payments-api" },
  "missing-context": { site: "nocontext", namespace: "production", name: "payments-api" },
  "unknown-namespace": { site: "dc2", namespace: "ghost-ns", name: "payments-api" },
  "unknown-workload": { site: "dc2", namespace: "production", name: "ghost" },
  "no-rights": { site: "norights", namespace: "production", name: "payments-api" },
} as const;

const canaryReplicas = () =>
  clusters.kubectl(
    "dc2",
    "get",
    "deployment",
    "canary",
    "-n",
    clusters.ns("production"),
    "-o",
    "jsonpath={.spec.replicas}",
  );

beforeAll(async () => {
  clusters = await startTestClusters();
  await clusters.kubectl("dc2", "create", "namespace", clusters.ns("production"));
  for (const name of ["payments-api", "canary"])
    await clusters.kubectl(
      "dc2",
      "create",
      "deployment",
      name,
      "-n",
      clusters.ns("production"),
      "--image=registry.example/app:1",
      "--replicas=0",
    );
  const dir = await mkdtemp(join(tmpdir(), "drbot-bad-input-"));
  const base = clusters.rawConfig();
  const config = {
    ...base,
    sites: [
      ...(base.sites as Record<string, unknown>[]),
      { name: "nofile", role: "dr", kubeconfig: { path: join(dir, "missing.kubeconfig"), context: "dc2" } },
      { name: "nocontext", role: "dr", kubeconfig: { path: clusters.kubeconfigPath, context: "dc9" } },
      {
        name: "norights",
        role: "dr",
        kubeconfig: { path: clusters.kubeconfigPath, context: clusters.botContexts.dc2 },
        requestTimeout: "5s",
      },
    ].map((s) => ({ ...s, requestTimeout: "5s" })),
  };
  await writeFile(join(dir, "drbot.yaml"), stringify(config));
  await mkdir(join(dir, "runbooks"));
  for (const [name, target] of Object.entries(CASES))
    await writeFile(
      join(dir, "runbooks", `${name}.yaml`),
      stringify({
        name,
        title: `Bad input: ${name}`,
        kind: "failover",
        approvals: { required: 0 },
        phases: [
          {
            name: "activate",
            steps: [
              {
                id: "scale-target",
                title: "Scale the target",
                kind: "k8s.scale",
                // "production" names this file's namespace on the shared clusters; ghost-ns stays a ghost.
                with: {
                  ...target,
                  namespace: target.namespace === "production" ? clusters.ns("production") : target.namespace,
                  replicas: 2,
                },
              },
              {
                id: "scale-canary",
                title: "Scale the canary",
                kind: "k8s.scale",
                with: { site: "dc2", namespace: clusters.ns("production"), name: "canary", replicas: 2 },
              },
            ],
          },
        ],
      }),
    );
  runtime = await createProvenRuntime({
    configPath: join(dir, "drbot.yaml"),
    runbooksDir: join(dir, "runbooks"),
    store: new MemoryRunStore({ now: () => Date.now() }),
    env: parseEnvironment({}),
  });
}, 600_000);

afterAll(async () => {
  await runtime?.close();
  await clusters?.stop();
});

async function pausedRun(runbook: keyof typeof CASES) {
  const { run } = await runtime.service.request({
    actor: "U0ONCALL",
    runbook,
    targets: ["payments"],
    reason: `bad input: ${runbook}`,
    source: "cli",
  });
  await waitFor(async () => (await runtime.service.show(run.id)).run.state === "paused_failed_step", {
    timeoutMs: 30_000,
    intervalMs: 50,
    description: `run ${run.id} paused on its failed step`,
  });
  const shown = await runtime.service.show(run.id);
  await runtime.service.abort({ actor: "U0ONCALL", runId: run.id });
  return shown;
}

describe("bad input through a run on real clusters", () => {
  it.each([
    ["missing-kubeconfig", /site nofile: could not load kubeconfig .*missing\.kubeconfig/],
    ["missing-context", /site nocontext: could not load kubeconfig .* it has no context "dc9"/],
    ["unknown-namespace", /site dc2: could not scale deployment ghost-ns\/payments-api to 2: 404/],
    ["unknown-workload", /site dc2: could not scale deployment production-\S+\/ghost to 2: 404/],
    [
      "no-rights",
      /site norights: could not scale deployment production-\S+\/payments-api to 2: 403 .*forbidden/i,
    ],
  ] as const)(
    "%s: fails the step saying what and where, pauses, and runs nothing after it",
    async (name, message) => {
      const { run, steps } = await pausedRun(name);
      expect(run.stateReason).toContain("scale-target");
      const failed = steps.get("scale-target");
      expect(failed?.status).toBe("failed");
      expect(failed?.error).toMatch(message);
      expect(steps.get("scale-canary")?.status).toBe("not_started");
      expect(await canaryReplicas()).toBe("0");
    },
  );
});
