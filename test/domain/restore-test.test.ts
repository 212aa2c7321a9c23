import * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { networkPolicyObject } from "../../src/adapters/kubernetes/run-objects.js";
import {
  restoreTestSchema,
  sandboxExclusions,
  sandboxModifiers,
  sandboxPolicy,
} from "../../src/domain/restore-test.js";
import { allows, type Endpoint, type PolicyObject } from "../support/network-policy-evaluator.js";

/**
 * The restore test's sandbox as Kubernetes would read it: the policy drbot builds for a scratch
 * namespace, turned into the object the adapter sends and judged by the NetworkPolicy rules of the
 * Kubernetes documentation (test/support/network-policy-evaluator.ts).
 *
 * What these tests cannot show: that a restored worker's connection is refused. KWOK enforces no
 * NetworkPolicy (the test clusters run no network plugin and no containers), so every verdict here is
 * about the policy object, what it selects and allows, never about traffic; on a real cluster the
 * network plugin (Calico, Cilium…) enforces it.
 */
const SANDBOX = "drbot-restore-production";
const dns = { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" } };

function stored(): PolicyObject {
  const object = networkPolicyObject("restore-test-1", SANDBOX, sandboxPolicy(SANDBOX, dns));
  return parse(k8s.dumpYaml(object)) as PolicyObject;
}

const worker = { namespace: SANDBOX, labels: { app: "payments-worker" } };
const out = (peer: Endpoint, port: number, protocol: "TCP" | "UDP" = "TCP") =>
  allows([stored()], { pod: worker, direction: "egress", peer, port, protocol });
const into = (peer: Endpoint, port = 8080) =>
  allows([stored()], { pod: worker, direction: "ingress", peer, port });

describe("the restore test's sandbox", () => {
  it("lets its pods reach the cluster's DNS servers on port 53, and nothing else outside it", () => {
    const kubeDns = { pod: { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } } };
    expect(out(kubeDns, 53, "UDP")).toBe(true);
    expect(out(kubeDns, 53, "TCP")).toBe(true);
    expect(out(kubeDns, 443)).toBe(false);
    // The production it was restored from, other pods of kube-system, queues and databases anywhere.
    expect(out({ pod: { namespace: "production", labels: { app: "payments-api" } } }, 8080)).toBe(false);
    expect(out({ pod: { namespace: "kube-system", labels: { component: "kube-apiserver" } } }, 53)).toBe(
      false,
    );
    expect(out({ pod: { namespace: "databases", labels: { app: "postgres" } } }, 5432)).toBe(false);
    expect(out({ address: "10.1.20.5" }, 5432)).toBe(false);
    expect(out({ address: "10.2.30.7" }, 5672)).toBe(false);
    expect(out({ address: "203.0.113.9" }, 443)).toBe(false);
    expect(out({ address: "fd00:1::5" }, 53, "UDP")).toBe(false);
  });

  it("lets nothing outside it in: no ingress controller, no other namespace, no address", () => {
    expect(into({ pod: { namespace: "ingress-nginx", labels: { app: "ingress-nginx" } } })).toBe(false);
    expect(into({ pod: { namespace: "production", labels: { app: "payments-api" } } })).toBe(false);
    expect(into({ address: "203.0.113.9" })).toBe(false);
    expect(into({ address: "10.2.0.1" })).toBe(false);
  });

  it("keeps its own pods talking to each other, so a restored application can be checked whole", () => {
    const db = { pod: { namespace: SANDBOX, labels: { app: "payments-db" } } };
    expect(out(db, 5432)).toBe(true);
    expect(into(db)).toBe(true);
  });

  it("selects every pod of the namespace, both directions, and says why each rule is there", () => {
    const policy = stored();
    expect(policy.spec.podSelector).toEqual({});
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    const object = networkPolicyObject("restore-test-1", SANDBOX, sandboxPolicy(SANDBOX, dns));
    expect(object.metadata?.annotations?.["drbot.io/rules"]).toBe(
      [
        `ingress 1: pods of ${SANDBOX} itself`,
        `egress 1: pods of ${SANDBOX} itself`,
        "egress 2: DNS (kube-system pods k8s-app=kube-dns, port 53)",
      ].join("\n"),
    );
  });
});

describe("what a restore test leaves out of the sandbox", () => {
  it("leaves out Ingresses, CronJobs, Jobs and Secrets by default, and pods and ReplicaSets always", () => {
    expect(sandboxExclusions(restoreTestSchema.parse(undefined))).toEqual([
      "pods",
      "replicasets.apps",
      "ingresses.networking.k8s.io",
      "cronjobs.batch",
      "jobs.batch",
      "secrets",
    ]);
    expect(restoreTestSchema.parse(undefined).replicas).toBe(0);
  });

  it("restores what an application's configuration includes, never pods or ReplicaSets", () => {
    const config = restoreTestSchema.parse({ include: ["secrets", "cronjobs"], replicas: 1 });
    expect(sandboxExclusions(config)).toEqual([
      "pods",
      "replicasets.apps",
      "ingresses.networking.k8s.io",
      "jobs.batch",
    ]);
    expect(restoreTestSchema.safeParse({ include: ["pods"] }).success).toBe(false);
  });
});

describe("how Velero creates what it restores into the sandbox", () => {
  it("creates every Deployment and StatefulSet at 0 replicas, so none runs at its backed-up replicas even for a moment", () => {
    expect(sandboxModifiers(restoreTestSchema.parse(undefined))).toEqual([
      { groupResource: "deployments.apps", mergePatch: { spec: { replicas: 0 } } },
      { groupResource: "statefulsets.apps", mergePatch: { spec: { replicas: 0 } } },
    ]);
  });

  it("uses the configured replicas, and creates included CronJobs and Jobs suspended", () => {
    expect(sandboxModifiers(restoreTestSchema.parse({ replicas: 1, include: ["cronjobs", "jobs"] }))).toEqual(
      [
        { groupResource: "deployments.apps", mergePatch: { spec: { replicas: 1 } } },
        { groupResource: "statefulsets.apps", mergePatch: { spec: { replicas: 1 } } },
        { groupResource: "cronjobs.batch", mergePatch: { spec: { suspend: true } } },
        { groupResource: "jobs.batch", mergePatch: { spec: { suspend: true } } },
      ],
    );
  });
});
