import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledgerOnArtifacts } from "../../../src/app/ledger-on-artifacts.js";
import type { Config } from "../../../src/domain/config.js";
import type { StepContext } from "../../../src/engine/step-kind.js";
import { k8sDeleteNamespaceStep } from "../../../src/engine/step-kinds/k8s-delete-namespace.js";
import { k8sHoldWorkloadsStep, k8sSandboxStep } from "../../../src/engine/step-kinds/k8s-sandbox.js";
import { k8sVerifyCleanStep } from "../../../src/engine/step-kinds/k8s-verify-clean.js";
import type { ArtifactStore } from "../../../src/ports/artifact-store.js";
import { kubernetesSites } from "../../../src/runtime/create-runtime.js";
import { startTestClusters, type TestClusters } from "../../support/k8s-testenv.js";
import { allows, type Endpoint, policiesFromList } from "../../support/network-policy-evaluator.js";
import { stepContext } from "../../support/step-context.js";

/**
 * The restore test's sandbox on a real API server: k8s.sandbox creates the run's scratch namespace
 * and its NetworkPolicy, k8s.hold-workloads holds what is restored into it at 0 replicas, and
 * k8s.delete-namespace and k8s.verify-clean remove it and prove nothing of the run is left. The
 * policy is read back as the API server stored it and judged by the rules of NetworkPolicy
 * (test/support/network-policy-evaluator.ts).
 *
 * What this cannot show: that a restored worker's connection is refused. KWOK enforces no
 * NetworkPolicy (no network plugin, no containers): the API server stores the policy and nothing
 * enforces it; on a real cluster the network plugin does.
 */
let clusters: TestClusters;
let config: Config;
let SANDBOX: string;

function memoryArtifacts(): ArtifactStore {
  const values = new Map<string, string>();
  return {
    put: async (runId, key, value) => void values.set(`${runId}:${key}`, value),
    get: async (runId, key) => values.get(`${runId}:${key}`),
  };
}

function contextOf(runId: string, ledger = ledgerOnArtifacts(memoryArtifacts())): StepContext {
  const base = stepContext(config, { services: { sites: kubernetesSites(config), ledger } });
  return { ...base, run: { ...base.run, id: runId, kind: "verify", mode: "real" } };
}

beforeAll(async () => {
  clusters = await startTestClusters();
  config = clusters.config();
  SANDBOX = `drbot-restore-${clusters.ns("production")}`.slice(0, 63).replace(/-+$/, "");
}, 300_000);
afterAll(async () => {
  await clusters?.kubectl("dc2", "delete", "namespace", SANDBOX, "--ignore-not-found", "--wait=false");
  await clusters?.stop();
});

describe("the restore test's sandbox on a real API server", () => {
  const runId = "restore-test-sandbox-k8s-1";
  let ctx: StepContext;

  beforeAll(() => {
    ctx = contextOf(runId);
  });

  it("creates the run's scratch namespace with one policy that lets nothing out but DNS, and nothing in", async () => {
    const params = k8sSandboxStep.params.parse({ site: "dc2", namespace: SANDBOX });
    expect(await k8sSandboxStep.execute(ctx, params)).toMatchObject({ status: "succeeded" });
    // Idempotent: a second run of the step (a retry, a takeover) changes nothing.
    expect(await k8sSandboxStep.execute(ctx, params)).toMatchObject({ status: "succeeded" });
    expect(
      await clusters.kubectl(
        "dc2",
        "get",
        "namespace",
        SANDBOX,
        "-o",
        "jsonpath={.metadata.labels.drbot\\.io/run-id}",
      ),
    ).toBe(runId);
    const stored = policiesFromList(
      await clusters.kubectl("dc2", "get", "networkpolicy", "-n", SANDBOX, "-o", "json"),
    );
    expect(stored.map((p) => p.metadata.name)).toEqual([`drbot-sandbox-${runId}`]);
    const worker = { namespace: SANDBOX, labels: { app: "payments-worker" } };
    const out = (peer: Endpoint, port: number, protocol: "TCP" | "UDP" = "TCP") =>
      allows(stored, { pod: worker, direction: "egress", peer, port, protocol });
    expect(out({ pod: { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } } }, 53, "UDP")).toBe(
      true,
    );
    expect(
      out({ pod: { namespace: clusters.ns("production"), labels: { app: "payments-api" } } }, 8080),
    ).toBe(false);
    expect(out({ address: "10.1.20.5" }, 5432)).toBe(false);
    expect(out({ address: "203.0.113.9" }, 443)).toBe(false);
    expect(
      allows(stored, {
        pod: worker,
        direction: "ingress",
        peer: { pod: { namespace: "ingress-nginx", labels: { app: "ingress-nginx" } } },
        port: 8080,
      }),
    ).toBe(false);
    expect(await k8sSandboxStep.observe!(ctx, params)).toMatchObject({ holds: true });
  });

  it("never takes over a scratch namespace another run made", async () => {
    const other = contextOf("restore-test-sandbox-k8s-2");
    const params = k8sSandboxStep.params.parse({ site: "dc2", namespace: SANDBOX });
    await expect(k8sSandboxStep.execute(other, params)).rejects.toMatchObject({ code: "conflict" });
    expect(await clusters.kubectl("dc2", "get", "networkpolicy", "-n", SANDBOX, "-o", "name")).toBe(
      `networkpolicy.networking.k8s.io/drbot-sandbox-${runId}`,
    );
  });

  it("holds what was restored into it at 0 replicas", async () => {
    await clusters.kubectl(
      "dc2",
      "create",
      "deployment",
      "payments-worker",
      "-n",
      SANDBOX,
      "--image=registry.example/payments:2.0",
      "--replicas=3",
    );
    const params = k8sHoldWorkloadsStep.params.parse({ site: "dc2", namespace: SANDBOX, replicas: 0 });
    expect(await k8sHoldWorkloadsStep.execute(ctx, params)).toMatchObject({
      status: "succeeded",
      output: `1 workload(s) of ${SANDBOX} held at 0`,
    });
    expect(
      await clusters.kubectl(
        "dc2",
        "get",
        "deployment",
        "payments-worker",
        "-n",
        SANDBOX,
        "-o",
        "jsonpath={.spec.replicas}",
      ),
    ).toBe("0");
    expect(await k8sHoldWorkloadsStep.observe!(ctx, params)).toMatchObject({ holds: true });
  });

  it("is removed afterwards, and the run proves nothing of it is left", async () => {
    const proof = k8sVerifyCleanStep.params.parse({ sites: ["dc2"] });
    expect(await k8sVerifyCleanStep.execute(ctx, proof)).toMatchObject({ status: "failed" });
    expect(
      await k8sDeleteNamespaceStep.execute(
        ctx,
        k8sDeleteNamespaceStep.params.parse({ site: "dc2", namespace: SANDBOX }),
      ),
    ).toMatchObject({ status: "succeeded" });
    expect(await k8sVerifyCleanStep.execute(ctx, proof)).toEqual({
      status: "succeeded",
      output: `nothing labelled with ${runId} remains on dc2`,
    });
  });
});
