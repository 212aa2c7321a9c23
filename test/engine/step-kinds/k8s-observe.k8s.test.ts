import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubernetesSite } from "../../../src/adapters/kubernetes/kubernetes-site.js";
import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { ledgerOnArtifacts } from "../../../src/app/ledger-on-artifacts.js";
import type { AnyStepKind, Observation, StepContext } from "../../../src/engine/step-kind.js";
import { k8sDiffStep } from "../../../src/engine/step-kinds/k8s-diff.js";
import { k8sFenceStep } from "../../../src/engine/step-kinds/k8s-fence.js";
import { k8sHealthStep } from "../../../src/engine/step-kinds/k8s-health.js";
import { k8sIsolateStep, k8sUnisolateStep } from "../../../src/engine/step-kinds/k8s-isolation.js";
import { k8sScaleStep } from "../../../src/engine/step-kinds/k8s-scale.js";
import { k8sSnapshotStep } from "../../../src/engine/step-kinds/k8s-snapshot.js";
import { k8sVerifyCleanStep } from "../../../src/engine/step-kinds/k8s-verify-clean.js";
import { k8sWaitReadyStep } from "../../../src/engine/step-kinds/k8s-wait-ready.js";
import type { ArtifactStore } from "../../../src/ports/artifact-store.js";
import type { KubernetesServices } from "../../../src/ports/site.js";
import { kubernetesSites } from "../../../src/runtime/create-runtime.js";
import { expectWithinDeadline } from "../../support/deadline.js";
import { createStrandedRun, engineHarness } from "../../support/engine-harness.js";
import { startTestClusters, type TestClusters } from "../../support/k8s-testenv.js";
import { seedPaymentsDeployments } from "../../support/seed-payments-deployments.js";
import { stepContext } from "../../support/step-context.js";

/**
 * Crash-resume on the real clusters: after a takeover the engine asks each interrupted step whether
 * its effect already holds. For every Kubernetes step kind, observe() says "not yet" before the step
 * ran and "holds" once it has, reading the clusters (or the run's artifacts) rather than guessing.
 */
let clusters: TestClusters;
let sites: KubernetesServices;

function memoryArtifacts(): ArtifactStore {
  const values = new Map<string, string>();
  return {
    put: async (runId, key, value) => void values.set(`${runId}:${key}`, value),
    get: async (runId, key) => values.get(`${runId}:${key}`),
  };
}

/** A context for one run of the given id, on the test clusters. */
function contextFor(runId: string, services: Record<string, unknown> = {}): StepContext {
  const base = stepContext(clusters.config(), {
    services: { sites, ledger: ledgerOnArtifacts(memoryArtifacts()), ...services },
  });
  return { ...base, run: { ...base.run, id: runId } };
}

/** Parses like the plan does, then observes, executes (expecting success) and observes again. */
async function observeAround(
  kind: AnyStepKind,
  ctx: StepContext,
  raw: Record<string, unknown>,
): Promise<{ before: Observation; after: Observation }> {
  const params = kind.params.parse(raw);
  const before = await kind.observe!(ctx, params);
  const result = await kind.execute(ctx, params);
  expect(result, JSON.stringify(result)).toMatchObject({ status: "succeeded" });
  const after = await kind.observe!(ctx, params);
  return { before, after };
}

const replicasOf = (ctx: string, ns: string) =>
  clusters.kubectl(ctx, "get", "deployment", "payments-api", "-n", ns, "-o", "jsonpath={.spec.replicas}");

/** This file's namespaces on the shared clusters (clusters.ns). */
let PROD: string;
let STAGING: string;

beforeAll(async () => {
  clusters = await startTestClusters();
  PROD = clusters.ns("production");
  STAGING = clusters.ns("staging");
  await seedPaymentsDeployments(clusters, "dc1", 3, 2);
  await seedPaymentsDeployments(clusters, "dc2", 0, 0);
  sites = kubernetesSites(clusters.config());
}, 300_000);
afterAll(async () => {
  await clusters?.stop();
});

describe("observing Kubernetes steps on the real clusters", () => {
  it("k8s.scale: not at the count before, at it after", async () => {
    const { before, after } = await observeAround(k8sScaleStep, contextFor("observe-scale"), {
      site: "dc2",
      namespace: PROD,
      name: "payments-api",
      replicas: 3,
    });
    expect(before).toEqual({ holds: false, evidence: `not at 3: deployment ${PROD}/payments-api` });
    expect(after).toEqual({ holds: true, evidence: "1 workload(s) already at 3" });
    expect(await replicasOf("dc2", PROD)).toBe("3");
  });

  it("k8s.wait-ready: not ready while scaled down, ready once rolled out (one workload and a namespace)", async () => {
    const ctx = contextFor("observe-wait");
    const wait = { site: "dc2", namespace: STAGING, name: "payments-api", replicas: 2 };
    const before = await k8sWaitReadyStep.observe!(ctx, k8sWaitReadyStep.params.parse(wait));
    expect(before).toEqual({ holds: false, evidence: "not ready on dc2: payments-api 0/2 ready" });
    await k8sScaleStep.execute(ctx, k8sScaleStep.params.parse({ ...wait }));
    const { after } = await observeAround(k8sWaitReadyStep, ctx, wait);
    expect(after).toEqual({ holds: true, evidence: "1 workload(s) already ready on dc2" });
    const all = await observeAround(k8sWaitReadyStep, ctx, { ...wait, name: "*" });
    expect(all.after.holds).toBe(true);
    const missing = await k8sWaitReadyStep.observe!(
      ctx,
      k8sWaitReadyStep.params.parse({ ...wait, name: "not-there" }),
    );
    expect(missing).toEqual({ holds: false, evidence: `no deployment ${STAGING}/not-there on dc2` });
  });

  it("k8s.fence: the primary's workloads running before, all at 0 after; a workload that is not there counts as fenced", async () => {
    const ctx = contextFor("observe-fence");
    const workloads = [
      { namespace: PROD, name: "*" },
      { namespace: STAGING, name: "payments-api" },
      { namespace: PROD, name: "not-there" },
    ];
    try {
      const { before, after } = await observeAround(k8sFenceStep, ctx, { site: "dc1", workloads });
      expect(before.holds).toBe(false);
      expect(before.evidence).toBe(
        `still running on dc1: deployment ${PROD}/payments-api at 3, deployment ${STAGING}/payments-api at 2`,
      );
      expect(after).toEqual({ holds: true, evidence: "dc1 is fenced: 2 workload(s) at 0" });
      expect(await replicasOf("dc1", PROD)).toBe("0");
    } finally {
      await clusters.kubectl("dc1", "scale", "deployment", "payments-api", "-n", PROD, "--replicas=3");
      await clusters.kubectl("dc1", "scale", "deployment", "payments-api", "-n", STAGING, "--replicas=2");
    }
  });

  it("k8s.fence: an unreachable primary cannot be observed, within its deadline", async () => {
    const hung = await clusters.hangEndpoint();
    const config = clusters.config();
    const dc1 = new KubernetesSite({
      ...config.sites[0]!,
      kubeconfig: { path: hung.kubeconfigPath, context: hung.context, inCluster: false },
      requestTimeout: 500,
    });
    const ctx = contextFor("observe-fence-hung", { sites: { site: () => dc1 } });
    const started = performance.now();
    const seen = await k8sFenceStep.observe!(
      ctx,
      k8sFenceStep.params.parse({ site: "dc1", workloads: [{ namespace: PROD, name: "*" }] }),
    );
    // Every read has the 500 ms request timeout; observing the fence reads the site twice at most.
    expectWithinDeadline(performance.now() - started, 1_000, "observing a fence on a hung primary");
    expect(seen.holds).toBe("unknown");
    expect(seen.evidence).toBe("dc1 is unreachable (timeout); its workloads cannot be read");
    expect(hung.connections()).toBeGreaterThan(0);
  });

  it("k8s.isolate, k8s.unisolate and k8s.verify-clean: the run's NetworkPolicies present, then absent", async () => {
    const ctx = contextFor("observe-isolate");
    const clean = k8sVerifyCleanStep.params.parse({ sites: ["dc1", "dc2"] });
    expect(await k8sVerifyCleanStep.observe!(ctx, clean)).toEqual({
      holds: true,
      evidence: "nothing labelled with observe-isolate remains on dc1, dc2",
    });

    const isolated = await observeAround(k8sIsolateStep, ctx, {
      site: "dc2",
      namespaces: [PROD, STAGING],
      from: "dc1",
    });
    expect(isolated.before).toEqual({
      holds: false,
      evidence: `no policy of observe-isolate in ${PROD}, ${STAGING} on dc2`,
    });
    expect(isolated.after).toEqual({
      holds: true,
      evidence: `isolated on dc2: ${PROD}/drbot-isolate-observe-isolate, ${STAGING}/drbot-isolate-observe-isolate`,
    });
    const dirty = await k8sVerifyCleanStep.observe!(ctx, clean);
    expect(dirty.holds).toBe(false);
    expect(dirty.evidence).toContain(`dc2: NetworkPolicy ${PROD}/drbot-isolate-observe-isolate`);
    // Another run's isolation is not this run's.
    const other = contextFor("observe-other");
    expect(
      (
        await k8sIsolateStep.observe!(
          other,
          k8sIsolateStep.params.parse({ site: "dc2", namespaces: [STAGING], from: "dc1" }),
        )
      ).holds,
    ).toBe(false);

    const removed = await observeAround(k8sUnisolateStep, ctx, { site: "dc2" });
    expect(removed.before.holds).toBe(false);
    expect(removed.before.evidence).toBe(
      `still on dc2: ${PROD}/drbot-isolate-observe-isolate, ${STAGING}/drbot-isolate-observe-isolate`,
    );
    expect(removed.after).toEqual({ holds: true, evidence: "no NetworkPolicy of observe-isolate on dc2" });
    expect((await k8sVerifyCleanStep.observe!(ctx, clean)).holds).toBe(true);
    for (const ns of [PROD, STAGING])
      expect(await clusters.kubectl("dc2", "get", "networkpolicy", "-n", ns, "-o", "name")).toBe("");
  });

  it("k8s.snapshot and k8s.diff: nothing recorded before, the run's artifact after", async () => {
    const artifacts = memoryArtifacts();
    const ctx = contextFor("observe-snapshot", { artifacts });
    const first = await observeAround(k8sSnapshotStep, ctx, {
      site: "dc2",
      namespaces: [PROD],
      label: "before",
    });
    expect(first.before).toEqual({ holds: false, evidence: 'no snapshot "before" of dc2 in this run yet' });
    expect(first.after.holds).toBe(true);
    expect(first.after.evidence).toMatch(/^snapshot "before" of dc2 recorded at \d{4}-\d\d-\d\dT/);
    // Another run's snapshot with the same label is not this run's.
    const other = contextFor("observe-snapshot-other", { artifacts });
    expect(
      (await k8sSnapshotStep.observe!(other, k8sSnapshotStep.params.parse({ site: "dc2", label: "before" })))
        .holds,
    ).toBe(false);

    await k8sSnapshotStep.execute(
      ctx,
      k8sSnapshotStep.params.parse({ site: "dc2", namespaces: [PROD], label: "after" }),
    );
    const diff = await observeAround(k8sDiffStep, ctx, { site: "dc2", before: "before", after: "after" });
    expect(diff.before).toEqual({ holds: false, evidence: "no diff before → after of dc2 in this run yet" });
    expect(diff.after).toEqual({ holds: true, evidence: "diff before → after of dc2 recorded" });
  });

  it("k8s.health: a check observes by checking again, holding once the site passes it", async () => {
    const ctx = contextFor("observe-health");
    const params = k8sHealthStep.params.parse({ site: "dc2", labels: { "drbot.io/drill-ready": "yes" } });
    const before = await k8sHealthStep.observe!(ctx, params);
    expect(before.holds).toBe(false);
    expect(before.evidence).toContain('nodes without the labels {"drbot.io/drill-ready":"yes"}: dc2-node-0');
    try {
      await clusters.kubectl("dc2", "label", "nodes", "--all", "drbot.io/drill-ready=yes");
      const after = await k8sHealthStep.observe!(ctx, params);
      expect(after.holds).toBe(true);
      expect(after.evidence).toMatch(/^dc2: API v1\.\d+\.\d+, 3\/3 nodes Ready/);
    } finally {
      await clusters.kubectl("dc2", "label", "nodes", "--all", "drbot.io/drill-ready-");
    }
  });

  it("after a takeover, the engine marks a fence that held as observed and runs an isolation that did not again", async () => {
    const h = engineHarness({
      store: new MemoryRunStore({ now: () => Date.now() }),
      config: clusters.config(),
      services: { sites },
    });
    // The dead owner had both steps in flight; it fenced DC1 and died before isolating DC2.
    const run = await createStrandedRun(
      h,
      [
        {
          id: "fence",
          title: "Fence",
          kind: "k8s.fence",
          with: { site: "dc1", workloads: [{ namespace: PROD, name: "payments-api" }] },
        },
        {
          id: "isolate",
          title: "Isolate",
          kind: "k8s.isolate",
          with: { site: "dc2", namespaces: [PROD], from: "dc1" },
        },
      ],
      ["fence", "isolate"],
    );
    await clusters.kubectl("dc1", "scale", "deployment", "payments-api", "-n", PROD, "--replicas=0");
    try {
      expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
      const steps = await h.store.getSteps(run.id);
      expect(steps.get("fence")).toMatchObject({
        status: "succeeded",
        resolvedBy: "observed",
        attempts: 1,
        output: "observed after takeover: dc1 is fenced: 1 workload(s) at 0",
      });
      expect(steps.get("isolate")).toMatchObject({
        status: "succeeded",
        resolvedBy: "executed",
        attempts: 2,
      });
      expect(await sites.site("dc2").listByRunId(run.id)).toEqual([
        `NetworkPolicy ${PROD}/drbot-isolate-${run.id}`,
      ]);
    } finally {
      await sites.site("dc2").removeIsolation(run.id);
      await clusters.kubectl("dc1", "scale", "deployment", "payments-api", "-n", PROD, "--replicas=3");
    }
  });
});
