import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { MemorySiteState } from "../../src/adapters/memory/memory-site-state.js";
import type { RunRecord } from "../../src/domain/run.js";
import type { AnyStepKind } from "../../src/engine/step-kind.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import type { Runtime } from "../../src/runtime/create-runtime.js";
import { startTestClustersWithVelero, type TestClustersWithVelero } from "../support/k8s-testenv.js";
import { allows, type Endpoint, policiesFromList } from "../support/network-policy-evaluator.js";
import { createProvenRuntime } from "../support/proven-runtime.js";
import {
  readPaymentsReplicas,
  seedPaymentsDeployments,
  seedPaymentsObjects,
} from "../support/seed-payments-deployments.js";
import { servingAfterFailover } from "../support/serving.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The shipped monthly restore test (runbooks/restore-test.yaml), unchanged, on two real clusters
 * with real Velero: DC1's schedule backs up payments (Deployments at 3 and 2 replicas, a Service, a
 * ConfigMap, a Secret, an Ingress and a CronJob), DC2's Velero syncs the backup from the shared
 * bucket, and the test restores it into sandbox namespaces on DC2 through the engine, as the DR
 * calendar would.
 *
 * A step kind of the registry can be made to wait, or to do something first, when a step of the
 * runbook is about to start (`before`): that is how a test looks into the sandbox while it stands,
 * removes a restored object before the verification, or aborts the run in the middle.
 *
 * What the test bed cannot show: KWOK runs no containers and enforces no NetworkPolicy. The
 * sandbox's policy objects are read back as the API server stored them and judged by the rules of
 * NetworkPolicy (test/support/network-policy-evaluator.ts); that a packet is dropped is the network
 * plugin's work on a real cluster. Restores are of resources only (no volumes).
 */
const MIN = 60_000;
let clusters: TestClustersWithVelero;
let configFile: string;
let backup: string;
let PRODUCTION: string;
let STAGING: string;
let SANDBOX: string;
let SANDBOX_STAGING: string;

/** What to do when a step of the runbook is about to start, once. */
const before = new Map<string, (signal: AbortSignal) => Promise<void>>();
/** What to do beside a step of the runbook while it runs, once (given the run's id). */
const during = new Map<string, (runId: string) => Promise<void>>();

function hookedKinds(): AnyStepKind[] {
  const registry = createStepKindRegistry();
  return registry.kinds().map((name) => {
    const kind = registry.get(name)!;
    return {
      ...kind,
      async execute(ctx, params) {
        const hook = before.get(ctx.step.runbookStepId);
        if (hook) {
          before.delete(ctx.step.runbookStepId);
          await hook(ctx.signal);
        }
        const beside = during.get(ctx.step.runbookStepId);
        if (beside) {
          during.delete(ctx.step.runbookStepId);
          void beside(ctx.run.id);
        }
        return kind.execute(ctx, params);
      },
    } satisfies AnyStepKind;
  });
}

/** Resolves when `stepId` is about to start; the step then waits until `release` (or the run's abort). */
function holdAt(stepId: string): { reached: Promise<void>; release: () => void } {
  let reached!: () => void;
  let release!: () => void;
  const reachedP = new Promise<void>((r) => {
    reached = r;
  });
  const released = new Promise<void>((r) => {
    release = r;
  });
  before.set(stepId, async (signal) => {
    reached();
    await new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      void released.then(resolve);
    });
  });
  return { reached: reachedP, release };
}

async function runtime(siteState = new MemorySiteState()): Promise<Runtime> {
  return createProvenRuntime({
    configPath: configFile,
    runbooksDir: "runbooks",
    store: new MemoryRunStore({ now: () => Date.now() }),
    siteState,
    extraStepKinds: hookedKinds(),
  });
}

async function requestRestoreTest(rt: Runtime, reason: string): Promise<RunRecord> {
  const { run } = await rt.service.request({
    actor: "U0ONCALL",
    runbook: "restore-test",
    targets: ["payments"],
    reason,
    source: "cli",
  });
  return run;
}

/** Waits until the held step is reached; fails with the run's steps when the run ends first. */
async function reachedOrEnded(rt: Runtime, runId: string, reached: Promise<void>): Promise<void> {
  let ok = false;
  void reached.then(() => {
    ok = true;
  });
  await waitFor(
    async () =>
      ok ||
      ["completed", "completed_with_exceptions", "aborted", "failed"].includes(
        (await rt.store.getRun(runId))?.state ?? "",
      ),
    { timeoutMs: 4 * MIN, intervalMs: 250, description: `run ${runId} to reach the held step` },
  );
  if (!ok) throw new Error(`run ${runId} ended before the held step:\n${await outcome(rt, runId)}`);
}

/** Each step of the run: "id status: error or output". */
async function outcome(rt: Runtime, runId: string): Promise<string> {
  const steps = await rt.store.getSteps(runId);
  return [...steps.entries()].map(([id, s]) => `${id} ${s.status}: ${s.error ?? s.output ?? ""}`).join("\n");
}

async function ended(rt: Runtime, runId: string, states: string[]): Promise<RunRecord> {
  try {
    await waitFor(async () => states.includes((await rt.store.getRun(runId))?.state ?? ""), {
      timeoutMs: 4 * MIN,
      intervalMs: 250,
      description: `run ${runId} to end (${states.join(" or ")})`,
    });
  } catch (error) {
    const run = await rt.store.getRun(runId);
    throw new Error(`${(error as Error).message}; it is ${run?.state}:\n${await outcome(rt, runId)}`);
  }
  return (await rt.store.getRun(runId))!;
}

const kubectl = (...args: string[]) => clusters.kubectl("dc2", ...args);

/** Namespaces of DC2 whose name starts with drbot-restore-, and every object labelled with the run. */
async function leftOnDr(runId: string): Promise<string[]> {
  const namespaces = (await kubectl("get", "namespaces", "-o", "name"))
    .split("\n")
    .filter((n) => n.includes("drbot-restore-"));
  const labelled = (
    await kubectl(
      "get",
      "namespaces,networkpolicies,configmaps",
      "-A",
      "-l",
      `drbot.io/run-id=${runId}`,
      "-o",
      "name",
    )
  )
    .split("\n")
    .filter(Boolean);
  return [...namespaces, ...labelled];
}

beforeAll(async () => {
  clusters = await startTestClustersWithVelero();
  [PRODUCTION, STAGING] = [clusters.ns("production"), clusters.ns("staging")];
  SANDBOX = `drbot-restore-${PRODUCTION}`;
  SANDBOX_STAGING = `drbot-restore-${STAGING}`;
  // DC1 serves payments; DC2 is the warm standby, its payments-api at 0.
  await seedPaymentsDeployments(clusters, "dc1", 3, 2);
  await seedPaymentsObjects(clusters, "dc1");
  const extras = [
    `apiVersion: v1\nkind: Secret\nmetadata: {name: payments-db, namespace: ${PRODUCTION}}\nstringData: {password: not-for-a-sandbox}`,
    `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: payments, namespace: ${PRODUCTION}}\nspec:\n  rules: [{host: pay.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: payments, port: {number: 80}}}}]}}]`,
    `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: settle-ledger, namespace: ${PRODUCTION}}\nspec:\n  schedule: "*/5 * * * *"\n  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: settle, image: registry.example/settle:1}]}}}}`,
  ].join("\n---\n");
  const extrasFile = join(clusters.dir, "payments-extras.yaml");
  await writeFile(extrasFile, extras);
  await clusters.kubectl("dc1", "apply", "-f", extrasFile);
  await seedPaymentsDeployments(clusters, "dc2", 0, 0);

  await clusters.velero.cli(
    "dc1",
    "schedule",
    "create",
    "daily-backup",
    "--schedule=0 2 * * *",
    `--include-namespaces=${PRODUCTION},${STAGING}`,
  );
  backup = await clusters.velero.backupFromSchedule("dc1", "daily-backup");
  await clusters.velero.waitForBackup("dc2", backup, 3 * MIN);

  const raw = clusters.rawConfig() as { sites: Record<string, unknown>[]; slack: Record<string, unknown> };
  const dir = await mkdtemp(join(tmpdir(), "drbot-restore-test-"));
  configFile = join(dir, "drbot.yaml");
  await writeFile(
    configFile,
    stringify({
      ...raw,
      sites: raw.sites.map((s) => ({ ...s, requestTimeout: "15s" })),
      slack: {
        ...raw.slack,
        permissions: {
          ...(raw.slack.permissions as Record<string, unknown>),
          verify: { requesters: { users: ["U0ONCALL"] } },
        },
      },
    }),
  );
}, 10 * MIN);

afterAll(async () => {
  await clusters?.stop();
});

// A test that failed half-way must not fail the next one with its leftovers: what the run should
// have removed (and the test found left) is removed here.
afterEach(async () => {
  before.clear();
  during.clear();
  for (const ns of [SANDBOX, SANDBOX_STAGING])
    await kubectl("delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=50s");
});

describe("the monthly restore test on the local clusters with real Velero", () => {
  it(
    "restores payments into a closed sandbox at 0 replicas without Ingresses, CronJobs or Secrets, verifies it, and leaves nothing behind",
    async () => {
      const productionBefore = await readPaymentsReplicas(clusters, "dc2", "production");
      const atCompare = holdAt("compare");
      const rt = await runtime();
      try {
        const run = await requestRestoreTest(rt, "monthly");
        await reachedOrEnded(rt, run.id, atCompare.reached);

        // The sandbox while it stands: restored, held at 0, nothing that could act on the world.
        const deployments = JSON.parse(await kubectl("get", "deployments", "-n", SANDBOX, "-o", "json")) as {
          items: { metadata: { name: string; generation: number }; spec: { replicas: number } }[];
        };
        expect(
          deployments.items.map((d) => [d.metadata.name, d.spec.replicas, d.metadata.generation]).sort(),
        ).toEqual([
          // Generation 1: created at 0 by Velero's resource modifiers, never at 3 and scaled down.
          ["payments-api", 0, 1],
          ["payments-worker", 0, 1],
        ]);
        // No pod; the ReplicaSets are the Deployment controller's own, at 0 (Velero restores none).
        expect(await kubectl("get", "pods", "-n", SANDBOX, "-o", "name")).toBe("");
        expect(
          await kubectl("get", "replicasets", "-n", SANDBOX, "-o", "jsonpath={.items[*].spec.replicas}"),
        ).toBe("0 0");
        expect(await kubectl("get", "ingresses,cronjobs,jobs", "-n", SANDBOX, "-o", "name")).toBe("");
        expect(
          await kubectl("get", "secret", "payments-db", "-n", SANDBOX, "--ignore-not-found", "-o", "name"),
        ).toBe("");
        expect(await kubectl("get", "configmap", "payments-config", "-n", SANDBOX, "-o", "name")).toBe(
          "configmap/payments-config",
        );
        // Velero's modifiers for the restore are gone once it is over.
        expect(
          await kubectl("get", "configmaps", "-n", "velero", "-l", `drbot.io/run-id=${run.id}`, "-o", "name"),
        ).toBe("");

        // Its one NetworkPolicy as stored: out only to DNS, in only from its own pods.
        const policies = policiesFromList(await kubectl("get", "networkpolicy", "-n", SANDBOX, "-o", "json"));
        expect(policies.map((p) => p.metadata.name)).toEqual([`drbot-sandbox-${run.id}`]);
        const worker = { namespace: SANDBOX, labels: { app: "payments-worker" } };
        const out = (peer: Endpoint, port: number, protocol: "TCP" | "UDP" = "TCP") =>
          allows(policies, { pod: worker, direction: "egress", peer, port, protocol });
        expect(out({ pod: { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } } }, 53, "UDP")).toBe(
          true,
        );
        expect(out({ pod: { namespace: PRODUCTION, labels: { app: "payments-api" } } }, 8080)).toBe(false);
        expect(out({ address: "10.1.20.5" }, 5432)).toBe(false);
        expect(out({ address: "203.0.113.9" }, 443)).toBe(false);
        const into = (peer: Endpoint) =>
          allows(policies, { pod: worker, direction: "ingress", peer, port: 8080 });
        expect(into({ pod: { namespace: "ingress-nginx", labels: { app: "ingress-nginx" } } })).toBe(false);
        expect(into({ pod: { namespace: PRODUCTION, labels: { app: "payments-api" } } })).toBe(false);
        expect(into({ pod: { namespace: SANDBOX, labels: { app: "payments-api" } } })).toBe(true);

        atCompare.release();
        const done = await ended(rt, run.id, ["completed", "completed_with_exceptions", "aborted", "failed"]);
        const steps = await rt.store.getSteps(run.id);
        expect(done.state, await outcome(rt, run.id)).toBe("completed");
        expect(steps.get("compare")?.output).toContain(`Deployment ${SANDBOX} 2/2`);
        expect(steps.get("compare")?.output).toContain(`ConfigMap ${SANDBOX} 2/2`);
        expect(steps.get("compare")?.output).toContain(`Service ${SANDBOX} 1/1`);
        expect(steps.get("compare")?.output).toContain(`Deployment ${SANDBOX_STAGING} 1/1`);
        expect(steps.get("verify-clean")?.output).toContain(`nothing labelled with ${run.id} remains on dc2`);
        expect(await leftOnDr(run.id)).toEqual([]);
        // Production on DC2 was not touched.
        expect(await readPaymentsReplicas(clusters, "dc2", "production")).toBe(productionBefore);
      } finally {
        atCompare.release();
        await rt.close();
      }
    },
    6 * MIN,
  );

  it(
    "fails the verification naming an object missing from the restore, and still removes the sandbox",
    async () => {
      before.set("compare", async () => {
        await kubectl("delete", "configmap", "payments-config", "-n", SANDBOX, "--wait=true");
      });
      const rt = await runtime();
      try {
        const run = await requestRestoreTest(rt, "an object goes missing");
        const done = await ended(rt, run.id, ["completed", "completed_with_exceptions", "aborted", "failed"]);
        const steps = await rt.store.getSteps(run.id);
        expect(done.state, await outcome(rt, run.id)).toBe("completed_with_exceptions");
        expect(steps.get("compare")).toMatchObject({ status: "failed" });
        expect(steps.get("compare")?.error).toContain(
          `ConfigMap ${SANDBOX}/payments-config (from ${PRODUCTION}/payments-config)`,
        );
        expect(steps.get("compare")?.error).toContain(`: 1 object(s) of backup ${backup} not restored: `);
        expect(steps.get("verify-clean")).toMatchObject({ status: "succeeded" });
        expect(await leftOnDr(run.id)).toEqual([]);
      } finally {
        await rt.close();
      }
    },
    6 * MIN,
  );

  it(
    "aborted in the middle, removes the sandbox and proves nothing of it is left",
    async () => {
      const atCompare = holdAt("compare");
      const rt = await runtime();
      try {
        const run = await requestRestoreTest(rt, "aborted mid-test");
        await reachedOrEnded(rt, run.id, atCompare.reached);
        expect(await kubectl("get", "namespace", SANDBOX, "-o", "name")).toBe(`namespace/${SANDBOX}`);
        await rt.service.abort({ actor: "U0ONCALL", runId: run.id, note: "stop the test" });
        const done = await ended(rt, run.id, ["aborted"]);
        const steps = await rt.store.getSteps(run.id);
        expect(done.state, await outcome(rt, run.id)).toBe("aborted");
        expect(steps.get("verify-clean"), await outcome(rt, run.id)).toMatchObject({
          status: "succeeded",
        });
        expect(await leftOnDr(run.id)).toEqual([]);
      } finally {
        await rt.close();
      }
    },
    6 * MIN,
  );

  it(
    "aborted while Velero restores, waits for the restore's end before it removes the sandbox, and proves nothing is left",
    async () => {
      const rt = await runtime();
      let aborted = "";
      during.set("restore", async (runId) => {
        try {
          await waitFor(
            async () =>
              (await kubectl(
                "get",
                "restores",
                "-n",
                "velero",
                "-l",
                `drbot.io/run-id=${runId}`,
                "-o",
                "name",
              )) !== "",
            { timeoutMs: MIN, intervalMs: 50, description: "the run's Restore" },
          );
          await rt.service.abort({ actor: "U0ONCALL", runId, note: "stop the test during the restore" });
          aborted = "yes";
        } catch (error) {
          aborted = String(error);
        }
      });
      try {
        const run = await requestRestoreTest(rt, "aborted during the restore");
        const done = await ended(rt, run.id, ["aborted", "failed", "completed", "completed_with_exceptions"]);
        expect(aborted).toBe("yes");
        expect(done.state, await outcome(rt, run.id)).toBe("aborted");
        const steps = await rt.store.getSteps(run.id);
        expect(steps.get("verify-clean"), await outcome(rt, run.id)).toMatchObject({ status: "succeeded" });
        // Undone newest first: the restore's end awaited, then the sandbox deleted.
        expect(steps.get("restore.payments")?.undone, await outcome(rt, run.id)).toBe(true);
        expect(steps.get(`sandbox.${PRODUCTION}`)?.undone).toBe(true);
        const undos = (await rt.store.readEvents(run.id))
          .filter((e) => e.type === "step.undo")
          .map((e) => e.stepId);
        expect(undos.indexOf("restore.payments")).toBeLessThan(undos.indexOf(`sandbox.${PRODUCTION}`));
        // Velero's restore is over (whatever its end), so nothing will make the sandbox again.
        const phases = await kubectl(
          "get",
          "restores",
          "-n",
          "velero",
          "-l",
          `drbot.io/run-id=${run.id}`,
          "-o",
          "jsonpath={.items[*].status.phase}",
        );
        expect(phases).toMatch(/^(Completed|PartiallyFailed|Failed)$/);
        expect(await leftOnDr(run.id)).toEqual([]);
      } finally {
        await rt.close();
      }
    },
    6 * MIN,
  );

  it(
    "stops at its first step, having made nothing, when DR starts serving between the request and the run",
    async () => {
      const siteState = new MemorySiteState();
      const rt = await runtime(siteState);
      try {
        const [move] = servingAfterFailover(rt.config, ["payments"]).flatMap((s) => (s.move ? [s.move] : []));
        const atCheck = holdAt("dr-is-standby");
        const run = await requestRestoreTest(rt, "a failover starts meanwhile");
        await reachedOrEnded(rt, run.id, atCheck.reached);
        expect(await siteState.record([move!], { payments: null })).toEqual({ ok: true });
        atCheck.release();
        const done = await ended(rt, run.id, ["aborted", "failed", "completed", "completed_with_exceptions"]);
        const steps = await rt.store.getSteps(run.id);
        // The test did not run: the run failed at its first step, and proved it left nothing.
        expect(done.state, await outcome(rt, run.id)).toBe("failed");
        expect(steps.get("dr-is-standby")?.error).toContain("dc2 serves production: payments since");
        expect(steps.get(`sandbox.${PRODUCTION}`)?.status).toBe("not_started");
        expect(steps.get("verify-clean")).toMatchObject({ status: "succeeded" });
        expect(await leftOnDr(run.id)).toEqual([]);
      } finally {
        await rt.close();
      }
    },
    6 * MIN,
  );

  it(
    "is refused while DR serves payments, saying which application DR serves and how to end that",
    async () => {
      const siteState = new MemorySiteState();
      const rt = await runtime(siteState);
      try {
        const [move] = servingAfterFailover(rt.config, ["payments"]).flatMap((s) => (s.move ? [s.move] : []));
        expect(await siteState.record([move!], { payments: null })).toEqual({ ok: true });
        await expect(requestRestoreTest(rt, "while DR serves")).rejects.toMatchObject({
          code: "standby_serving",
          message: expect.stringContaining("payments is served from dc2"),
        });
        await expect(requestRestoreTest(rt, "while DR serves")).rejects.toMatchObject({
          message: expect.stringContaining("/dr failback payments"),
        });
        expect(await rt.store.listRuns()).toEqual([]);
        expect(await leftOnDr("none")).toEqual([]);
      } finally {
        await rt.close();
      }
    },
    6 * MIN,
  );
});
