import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeError } from "../../../src/adapters/kubernetes/kube-error.js";
import { KubernetesSite } from "../../../src/adapters/kubernetes/kubernetes-site.js";
import { diffSnapshots } from "../../../src/domain/compare-snapshots.js";
import type { SiteConfig } from "../../../src/domain/config.js";
import type { NetworkPolicyShape } from "../../../src/domain/network-policy.js";
import type { WorkloadRef } from "../../../src/domain/workloads.js";
import { RUN_ID_LABEL } from "../../../src/ports/site.js";
import { expectWithinDeadline } from "../../support/deadline.js";
import {
  type ClusterName,
  startTestClusters,
  stopTestClusters,
  type TestClusters,
} from "../../support/k8s-testenv.js";

/**
 * The site adapter against two real API servers (own etcd, controllers and scheduler each; KWOK
 * plays the nodes and makes scheduled pods Running and Ready).
 */
let clusters: TestClusters;
let dc1: KubernetesSite;
let dc2: KubernetesSite;

const api = (namespace: string, name = "payments-api"): WorkloadRef => ({
  kind: "Deployment",
  namespace,
  name,
});

function siteOn(
  cluster: ClusterName,
  over: { context?: string; path?: string; requestTimeout?: number } = {},
) {
  const base: SiteConfig = clusters.config().sites.find((s) => s.name === cluster)!;
  return new KubernetesSite({
    ...base,
    kubeconfig: {
      path: over.path ?? clusters.kubeconfigPath,
      context: over.context ?? clusters.contexts[cluster],
      inCluster: false,
    },
    requestTimeout: over.requestTimeout ?? base.requestTimeout,
  });
}

async function apply(context: string, yaml: string): Promise<void> {
  const file = join(
    clusters.dir,
    `apply-${context}-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`,
  );
  await writeFile(file, yaml);
  await clusters.kubectl(context, "apply", "-f", file);
}

const deployment = (namespace: string, name: string, image: string, replicas: number, extra = "") => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: app, image: "${image}"}]${extra}
`;

const statefulSet = (namespace: string, name: string) => `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: 1
  serviceName: ${name}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: app, image: "registry.example/${name}:5.1"}]
`;

/** The error a request ended in; fails the test if it succeeded. */
async function failureOf(work: Promise<unknown>): Promise<KubeError> {
  try {
    await work;
  } catch (error) {
    return error as KubeError;
  }
  throw new Error("expected the request to fail, and it succeeded");
}

const timed = async <T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
};

/** This file's namespaces on the shared clusters (clusters.ns). */
let PROD: string;
let DRIFT: string;
let FENCE: string;
let ISO_A: string;
let ISO_B: string;

beforeAll(async () => {
  clusters = await startTestClusters();
  [PROD, DRIFT, FENCE, ISO_A, ISO_B] = ["production", "drift", "fence", "isolation-a", "isolation-b"].map(
    clusters.ns,
  ) as [string, string, string, string, string];
  dc1 = siteOn("dc1");
  dc2 = siteOn("dc2");
  for (const cluster of ["dc1", "dc2"] as const) {
    const ctx = clusters.contexts[cluster];
    for (const ns of [PROD, DRIFT, FENCE, ISO_A, ISO_B])
      await clusters.kubectl(ctx, "create", "namespace", ns);
    await apply(
      ctx,
      deployment(PROD, "payments-api", "registry.example/payments:1.4", cluster === "dc1" ? 3 : 0),
    );
    await clusters.kubectl(
      ctx,
      "create",
      "service",
      "clusterip",
      "payments-api",
      "-n",
      PROD,
      "--tcp=80:8080",
    );
  }
}, 180_000);

afterAll(async () => {
  await stopTestClusters(clusters);
});

describe("KubernetesSite on real clusters", () => {
  it("reports both sites healthy: API ready, version, nodes Ready with the seed's labels", async () => {
    const [h1, h2] = await Promise.all([dc1.health(), dc2.health()]);
    for (const [h, labels] of [
      [h1, { environment: "production", datacenter: "dc1" }],
      [h2, { environment: "dr", datacenter: "dc2" }],
    ] as const) {
      expect(h).toMatchObject({ reachable: true, ready: true, apiReady: true, readyNodes: 3 });
      expect(h.error).toBeUndefined();
      expect(h.version).toBe("v1.36.3");
      for (const node of h.nodes) expect(node.labels).toMatchObject(labels);
    }
    expect(h1.nodes.map((n) => n.name).sort()).toEqual(["dc1-node-0", "dc1-node-1", "dc1-node-2"]);
  });

  it("sums allocatable CPU and memory of Ready nodes, so the sites can be compared", async () => {
    const [a, b] = await Promise.all([dc1.capacity(), dc2.capacity()]);
    expect(a).toEqual({
      site: "dc1",
      nodes: 3,
      readyNodes: 3,
      cpuMillis: 96_000,
      memoryBytes: 3 * 128 * 2 ** 30,
    });
    expect(b).toMatchObject({ site: "dc2", cpuMillis: a.cpuMillis, memoryBytes: a.memoryBytes });
  });

  it("scales through the scale subresource and waits until KWOK's pods are Ready, then back to 0", async () => {
    const ref = api(PROD);
    expect(await dc2.readScale(ref)).toBe(0);
    await dc2.scale(ref, 3);
    expect(await dc2.readScale(ref)).toBe(3);
    const progress: number[] = [];
    const up = await timed(() =>
      dc2.waitForRollout(ref, {
        replicas: 3,
        deadline: Date.now() + 30_000,
        onProgress: (s) => progress.push(s.readyReplicas),
      }),
    );
    expect(up.value).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      images: ["registry.example/payments:1.4"],
    });
    expect(progress.at(-1)).toBe(3);
    const ready = "jsonpath={.status.readyReplicas}";
    expect(await clusters.kubectl("dc2", "get", "deployment", "payments-api", "-n", PROD, "-o", ready)).toBe(
      "3",
    );
    console.info(`[timing] dc2 scale 0→3 Ready in ${Math.round(up.ms)} ms`);

    await dc2.scale(ref, 0);
    const down = await dc2.waitForRollout(ref, { replicas: 0, deadline: Date.now() + 30_000 });
    expect(down).toMatchObject({ replicas: 0, statusReplicas: 0, readyReplicas: 0 });
    expect(
      await clusters.kubectl("dc2", "get", "pods", "-n", PROD, "-l", "app=payments-api", "-o", "name"),
    ).toBe("");
  });

  it("gives up on a rollout that cannot finish at its deadline, with the last state", async () => {
    await apply(
      "dc2",
      deployment(
        PROD,
        "unschedulable",
        "registry.example/x:1",
        2,
        "\n      nodeSelector: {datacenter: nowhere}",
      ),
    );
    const started = Date.now();
    const error = await failureOf(
      dc2.waitForRollout(api(PROD, "unschedulable"), { replicas: 2, deadline: started + 1_500 }),
    );
    expectWithinDeadline(Date.now() - started, 1_500, "a rollout wait with a 1.5 s deadline");
    expect(error).toMatchObject({ code: "timeout", reason: "timeout", site: "dc2" });
    expect(error.message).toMatch(
      new RegExp(`^site dc2: could not wait for deployment ${PROD}/unschedulable .*: 0/2 ready`),
    );
  });

  it("reads the inventory and finds the drift of DC2 against DC1", async () => {
    await apply(
      "dc1",
      `${deployment(DRIFT, "web", "registry.example/web:2.0", 2)}---${statefulSet(DRIFT, "ledger")}`,
    );
    await apply(
      "dc2",
      deployment(DRIFT, "web", "registry.example/web:1.9", 0) +
        "---" +
        deployment(DRIFT, "debug", "registry.example/debug:1", 0),
    );
    const inventory = await dc1.inventory([DRIFT]);
    expect(inventory.map((w) => `${w.kind} ${w.name} ${w.replicas} ${w.images.join(",")}`).sort()).toEqual([
      "Deployment web 2 registry.example/web:2.0",
      "StatefulSet ledger 1 registry.example/ledger:5.1",
    ]);
    const drift = await dc1.drift(dc2, [DRIFT]);
    const web = api(DRIFT, "web");
    expect(drift).toEqual({
      reference: "dc1",
      candidate: "dc2",
      missing: [{ kind: "StatefulSet", namespace: DRIFT, name: "ledger" }],
      extra: [api(DRIFT, "debug")],
      images: [
        { workload: web, reference: ["registry.example/web:2.0"], candidate: ["registry.example/web:1.9"] },
      ],
      replicas: [{ workload: web, reference: 2, candidate: 0 }],
    });
  });

  it("snapshots what kubectl get all shows, and diffs two snapshots", async () => {
    const before = await dc1.snapshot([PROD]);
    expect(before.objects).toEqual(
      expect.arrayContaining([
        { kind: "Deployment", namespace: PROD, name: "payments-api", status: "3/3" },
        { kind: "Service", namespace: PROD, name: "payments-api", status: "ClusterIP 80/TCP" },
        expect.objectContaining({ kind: "ReplicaSet", namespace: PROD }),
      ]),
    );
    expect(before.objects.filter((o) => o.kind === "Pod")).toHaveLength(3);
    expect(before.pods).toEqual({ [PROD]: 3 });

    await dc1.scale(api(PROD), 1);
    await dc1.waitForRollout(api(PROD), { replicas: 1, deadline: Date.now() + 30_000 });
    const after = await dc1.snapshot([PROD]);
    expect(diffSnapshots(before, after)).toEqual({
      added: [],
      removed: [],
      changed: [
        { object: `Deployment ${PROD}/payments-api`, field: "readyReplicas", before: "3", after: "1" },
        { object: `Deployment ${PROD}/payments-api`, field: "replicas", before: "3", after: "1" },
      ],
      runningPods: [{ namespace: PROD, before: 3, after: 1 }],
    });
    await dc1.scale(api(PROD), 3);

    const all = await dc2.snapshot();
    expect(all.namespaces).toEqual([]);
    expect(all.objects).toContainEqual({
      kind: "Service",
      namespace: "default",
      name: "kubernetes",
      status: "ClusterIP 443/TCP",
    });
  });

  it("puts a run's NetworkPolicies carrying the run id, replaces their rules, lists and removes only that run's", async () => {
    const runA = "drill-1125-0300-abc123";
    const runB = "drill-1125-0400-def456";
    const closed: NetworkPolicyShape = { role: "isolate", purpose: "test: closed", ingress: [], egress: [] };
    const dnsOnly: NetworkPolicyShape = {
      role: "isolate",
      purpose: "test: DNS only",
      ingress: [],
      egress: [
        {
          why: "DNS",
          peers: [{ namespaceSelector: { "kubernetes.io/metadata.name": "kube-system" }, podSelector: {} }],
          ports: [{ protocol: "UDP", port: 53 }],
        },
      ],
    };
    expect(
      await dc2.applyRunPolicies(runA, [
        { namespace: ISO_A, policy: closed },
        { namespace: ISO_B, policy: closed },
      ]),
    ).toEqual([`${ISO_A}/drbot-isolate-${runA}`, `${ISO_B}/drbot-isolate-${runA}`]);
    // Idempotent, and a second put replaces the rules with the new ones.
    expect(await dc2.applyRunPolicies(runA, [{ namespace: ISO_A, policy: dnsOnly }])).toHaveLength(1);
    await dc2.applyRunPolicies(runB, [{ namespace: ISO_A, policy: closed }]);
    const read = async (ns: string, run: string) =>
      JSON.parse(
        await clusters.kubectl("dc2", "get", "networkpolicy", `drbot-isolate-${run}`, "-n", ns, "-o", "json"),
      ) as { spec: unknown; metadata: { annotations: Record<string, string> } };
    expect((await read(ISO_B, runA)).spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    const replaced = await read(ISO_A, runA);
    expect(replaced.spec).toEqual({
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: {},
            },
          ],
          ports: [{ protocol: "UDP", port: 53 }],
        },
      ],
    });
    expect(replaced.metadata.annotations).toMatchObject({
      "drbot.io/purpose": "test: DNS only",
      "drbot.io/rules": "egress 1: DNS",
    });
    expect(
      await clusters.kubectl(
        "dc2",
        "get",
        "networkpolicy",
        "-A",
        "-l",
        `${RUN_ID_LABEL}=${runA}`,
        "-o",
        "name",
      ),
    ).toBe(
      `networkpolicy.networking.k8s.io/drbot-isolate-${runA}\nnetworkpolicy.networking.k8s.io/drbot-isolate-${runA}`,
    );
    expect(await dc2.listByRunId(runA)).toEqual([
      `NetworkPolicy ${ISO_A}/drbot-isolate-${runA}`,
      `NetworkPolicy ${ISO_B}/drbot-isolate-${runA}`,
    ]);

    expect(await dc2.removeIsolation(runA)).toBe(2);
    expect(await dc2.listByRunId(runA)).toEqual([]);
    expect(await dc2.removeIsolation(runA)).toBe(0);
    expect(await dc2.listByRunId(runB)).toEqual([`NetworkPolicy ${ISO_A}/drbot-isolate-${runB}`]);
    expect(await dc1.listByRunId(runB)).toEqual([]);
    expect(await dc2.removeIsolation(runB)).toBe(1); // nothing of this test stays on the shared clusters
  });

  it("refuses a run id Kubernetes could not carry as a label", async () => {
    await expect(
      dc2.applyRunPolicies("not a label!", [
        { namespace: ISO_A, policy: { role: "isolate", purpose: "x", ingress: [], egress: [] } },
      ]),
    ).rejects.toMatchObject({
      code: "invalid_input",
      reason: "invalid",
    });
  });

  it("fences: scales the named workloads to 0 and reports those that do not exist", async () => {
    await apply("dc1", deployment(FENCE, "checkout", "registry.example/checkout:3", 2));
    await dc1.waitForRollout(api(FENCE, "checkout"), { replicas: 2, deadline: Date.now() + 30_000 });
    const result = await dc1.fence([api(FENCE, "checkout"), api(FENCE, "ghost")]);
    expect(result).toEqual({
      site: "dc1",
      reachable: true,
      fenced: [api(FENCE, "checkout")],
      notFound: [api(FENCE, "ghost")],
      failed: [],
    });
    expect(
      await clusters.kubectl(
        "dc1",
        "get",
        "deployment",
        "checkout",
        "-n",
        FENCE,
        "-o",
        "jsonpath={.spec.replicas}",
      ),
    ).toBe("0");
  });

  it("says what and where when a workload does not exist", async () => {
    const error = await failureOf(dc2.scale(api(PROD, "ghost"), 1));
    expect(error).toMatchObject({ code: "not_found", reason: "not_found", site: "dc2", status: 404 });
    expect(error.message).toMatch(
      new RegExp(`^site dc2: could not scale deployment ${PROD}/ghost to 1: 404 `),
    );
  });

  it("reports a user without any rights as forbidden, naming the site and the action, and changes nothing", async () => {
    const bot = siteOn("dc2", { context: clusters.botContexts.dc2 });
    const error = await failureOf(bot.scale(api(PROD), 5));
    expect(error).toMatchObject({ code: "forbidden", reason: "forbidden", site: "dc2", status: 403 });
    expect(error.message).toMatch(
      new RegExp(
        `^site dc2: could not scale deployment ${PROD}/payments-api to 5: 403 .*"drbot-bot" cannot patch resource "deployments/scale"`,
      ),
    );
    expect(error.message).not.toContain(
      await clusters.kubectl(
        "dc2",
        "config",
        "view",
        "--raw",
        "-o",
        'jsonpath={.users[?(@.name=="dc2-bot")].user.token}',
      ),
    );
    expect(await dc2.readScale(api(PROD))).toBe(0);
  });

  it("lets a user that may only read Deployments list them, and reports everything else as forbidden", async () => {
    const reader = siteOn("dc2", { context: clusters.readonlyContexts.dc2 });
    expect((await reader.listWorkloads("Deployment", PROD)).map((w) => w.name)).toContain("payments-api");
    await expect(reader.listWorkloads("StatefulSet", PROD)).rejects.toMatchObject({
      reason: "forbidden",
      message: expect.stringMatching(new RegExp(`^site dc2: could not list statefulsets in ${PROD}: 403 `)),
    });
    await expect(reader.scale(api(PROD), 2)).rejects.toMatchObject({
      reason: "forbidden",
      operation: `scale deployment ${PROD}/payments-api to 2`,
    });
    const health = await reader.health();
    expect(health).toMatchObject({ reachable: true, error: { code: "forbidden" } });
  });

  it("refuses a missing context or kubeconfig with the file and the context named", () => {
    expect(() => siteOn("dc1", { context: "dc9" })).toThrow(
      `site dc1: could not load kubeconfig ${clusters.kubeconfigPath} (context "dc9"): it has no context "dc9" (it has: dc1, dc1-bot, dc1-readonly, dc2, dc2-bot, dc2-readonly)`,
    );
    expect(() => siteOn("dc1", { path: join(clusters.dir, "missing.kubeconfig") })).toThrow(
      /^site dc1: could not load kubeconfig .*missing\.kubeconfig \(context "dc1"\): the file does not exist$/,
    );
  });

  it("turns an API server that accepts and never answers into a timeout within the deadline", async () => {
    const hung = await clusters.hangEndpoint();
    const site = siteOn("dc1", { path: hung.kubeconfigPath, context: hung.context, requestTimeout: 1_000 });

    const health = await timed(() => site.health());
    expect(health.value).toMatchObject({ reachable: false, error: { code: "timeout", reason: "timeout" } });
    expect(health.ms).toBeGreaterThanOrEqual(900);
    expectWithinDeadline(health.ms, 1_000, "health of a hung API server (1 s request timeout)");

    const scale = await timed(() => failureOf(site.scale(api(PROD), 0)));
    expect(scale.value).toMatchObject({ code: "timeout", reason: "timeout", site: "dc1" });
    expect((scale.value as KubeError).message).toBe(
      `site dc1: could not scale deployment ${PROD}/payments-api to 0: no answer within 1000 ms`,
    );
    expectWithinDeadline(scale.ms, 1_000, "a scale on a hung API server (1 s request timeout)");
    expect(hung.connections()).toBeGreaterThan(0);

    // The caller's signal cuts a request shorter than the site's deadline.
    const patient = siteOn("dc1", {
      path: hung.kubeconfigPath,
      context: hung.context,
      requestTimeout: 30_000,
    });
    const cut = await timed(() =>
      failureOf(patient.readScale(api(PROD), { signal: AbortSignal.timeout(300) })),
    );
    expect(cut.value).toMatchObject({ reason: "timeout" });
    expectWithinDeadline(cut.ms, 300, "a read cut by the caller's 300 ms signal (30 s request timeout)");

    const fence = await timed(() => site.fence([api(PROD), api(PROD, "other")]));
    expect(fence.value).toMatchObject({ reachable: false, fenced: [] });
    expect(fence.value.failed.map((f) => f.reason)).toEqual(["timeout", "timeout"]);
    expectWithinDeadline(fence.ms, 1_000, "fencing on a hung API server (1 s request timeout)");
    console.info(
      `[timing] hung endpoint: health ${Math.round(health.ms)} ms, scale ${Math.round(scale.ms)} ms (deadline 1000 ms)`,
    );
    await hung.close();
  });

  it("reports a stopped API server as unreachable at once, and healthy again once it is back", async () => {
    await clusters.stopApiServer("dc1");
    try {
      const health = await timed(() => dc1.health());
      expect(health.value).toMatchObject({
        reachable: false,
        error: { code: "unavailable", reason: "unreachable" },
      });
      expect(health.value.error?.message).toContain("site dc1");
      // Refused at once: no deadline to wait for (the reason says unreachable, not timeout).
      expectWithinDeadline(health.ms, 0, "health of a stopped API server");
      const error = await failureOf(dc1.readScale(api(PROD)));
      expect(error).toMatchObject({ reason: "unreachable", code: "unavailable" });
      expect(error.message).toMatch(
        new RegExp(
          `^site dc1: could not read the scale of deployment ${PROD}/payments-api: API server unreachable \\(ECONNREFUSED\\)$`,
        ),
      );
      expect((await dc2.health()).reachable).toBe(true);
      console.info(`[timing] stopped API server reported in ${Math.round(health.ms)} ms`);
    } finally {
      await clusters.startApiServer("dc1");
    }
    expect(await dc1.health()).toMatchObject({ reachable: true, ready: true });
    expect(await dc1.readScale(api(PROD))).toBe(3);
  });
});
