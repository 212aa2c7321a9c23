import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubernetesSite } from "../../../src/adapters/kubernetes/kubernetes-site.js";
import type { DrError } from "../../../src/domain/errors.js";
import { RUN_ID_LABEL } from "../../../src/ports/site.js";
import { startTestClusters, type TestClusters } from "../../support/k8s-testenv.js";

/** The site adapter against two real API servers (KWOK simulates nodes and pods). */
let clusters: TestClusters;
let dc1: KubernetesSite;
let dc2: KubernetesSite;

beforeAll(async () => {
  clusters = await startTestClusters();
  const config = clusters.config();
  dc1 = new KubernetesSite(config.sites[0]!);
  dc2 = new KubernetesSite(config.sites[1]!);
  for (const ctx of ["dc1", "dc2"]) {
    await clusters.kubectl(ctx, "create", "namespace", "production");
    await clusters.kubectl(
      ctx,
      "create",
      "deployment",
      "payments-api",
      "-n",
      "production",
      "--image=registry.example/payments:1.4",
      `--replicas=${ctx === "dc1" ? 3 : 0}`,
    );
  }
}, 600_000);
afterAll(async () => {
  await clusters?.stop();
});

describe("KubernetesSite", () => {
  it("reports health: API reachable, nodes Ready with the seed's labels", async () => {
    const health = await dc2.health();
    expect(health).toMatchObject({ site: "dc2", reachable: true, ready: true, readyNodes: 3 });
    expect(health.version).toMatch(/^v1\.\d+/);
    expect(health.nodes[0]!.labels).toMatchObject({ environment: "dr", datacenter: "dc2" });
  });

  it("compares capacity of the two sites", async () => {
    const [a, b] = await Promise.all([dc1.capacity(), dc2.capacity()]);
    expect(a).toMatchObject({ nodes: 3, readyNodes: 3, cpuMillis: 96_000 });
    expect(b.memoryBytes).toBe(3 * 128 * 2 ** 30);
  });

  it("scales through the scale subresource and waits until the pods are Ready", async () => {
    const ref = { kind: "Deployment" as const, namespace: "production", name: "payments-api" };
    expect(await dc2.readScale(ref)).toBe(0);
    await dc2.scale(ref, 3);
    const progress: number[] = [];
    const state = await dc2.waitForRollout(ref, {
      replicas: 3,
      deadline: Date.now() + 60_000,
      onProgress: (s) => progress.push(s.readyReplicas),
    });
    expect(state).toMatchObject({ replicas: 3, readyReplicas: 3, images: ["registry.example/payments:1.4"] });
    expect(
      await clusters.kubectl(
        "dc2",
        "get",
        "deployment",
        "payments-api",
        "-n",
        "production",
        "-o",
        "jsonpath={.status.readyReplicas}",
      ),
    ).toBe("3");
  });

  it("lists the inventory and snapshots what runs", async () => {
    const inventory = await dc1.inventory(["production"]);
    expect(inventory).toEqual([
      expect.objectContaining({ kind: "Deployment", name: "payments-api", replicas: 3 }),
    ]);
    const snapshot = await dc2.snapshot(["production"]);
    expect(snapshot.workloads).toHaveLength(1);
    expect(snapshot.pods.production).toBe(3);
  });

  it("isolates namespaces with policies carrying the run id, and removes them", async () => {
    const created = await dc2.isolate("drill-1125-0300-abc123", ["production"]);
    expect(created).toEqual(["production/drbot-isolate-drill-1125-0300-abc123"]);
    expect(await dc2.isolate("drill-1125-0300-abc123", ["production"])).toHaveLength(1); // idempotent
    expect(
      await clusters.kubectl(
        "dc2",
        "get",
        "networkpolicy",
        "-A",
        "-l",
        `${RUN_ID_LABEL}=drill-1125-0300-abc123`,
        "-o",
        "name",
      ),
    ).toContain("drbot-isolate");
    expect(await dc2.listByRunId("drill-1125-0300-abc123")).toHaveLength(1);
    expect(await dc2.removeIsolation("drill-1125-0300-abc123")).toBe(1);
    expect(await dc2.listByRunId("drill-1125-0300-abc123")).toEqual([]);
  });

  it("says what and where when a workload does not exist", async () => {
    const error = await dc2
      .scale({ kind: "Deployment", namespace: "production", name: "ghost" }, 1)
      .catch((e: DrError) => e);
    expect(error).toMatchObject({ code: "not_found" });
    expect((error as DrError).message).toContain(
      "site dc2: could not scale deployment production/ghost to 1: 404",
    );
  });

  it("reports a user without rights as forbidden, naming the site and the action", async () => {
    const config = clusters.config();
    const bot = new KubernetesSite({
      ...config.sites[1]!,
      kubeconfig: { path: clusters.kubeconfig, context: "dc2-bot", inCluster: false },
    });
    const error = await bot
      .scale({ kind: "Deployment", namespace: "production", name: "payments-api" }, 0)
      .catch((e: DrError) => e);
    expect(error).toMatchObject({ code: "forbidden" });
    expect((error as DrError).message).toMatch(
      /site dc2: could not scale deployment production\/payments-api to 0: 403/,
    );
    expect(
      await clusters.kubectl(
        "dc2",
        "get",
        "deployment",
        "payments-api",
        "-n",
        "production",
        "-o",
        "jsonpath={.spec.replicas}",
      ),
    ).toBe("3");
  });

  it("refuses a missing kubeconfig or context with the file and context named", () => {
    const config = clusters.config();
    expect(
      () =>
        new KubernetesSite({
          ...config.sites[0]!,
          kubeconfig: { path: "/nonexistent/kubeconfig", context: "dc1", inCluster: false },
        }),
    ).toThrow(/kubeconfig \/nonexistent\/kubeconfig does not exist/);
    expect(
      () =>
        new KubernetesSite({
          ...config.sites[0]!,
          kubeconfig: { path: clusters.kubeconfig, context: "dc9", inCluster: false },
        }),
    ).toThrow(/has no context "dc9"/);
  });

  it("turns an API server that accepts and never answers into a timeout within the deadline", async () => {
    const config = clusters.config();
    const hung = new KubernetesSite({
      ...config.sites[0]!,
      kubeconfig: { path: await clusters.hungKubeconfig(), context: "dc1", inCluster: false },
      requestTimeout: 1_000,
    });
    const health = await hung.health();
    expect(health).toMatchObject({ reachable: false, error: { code: "timeout" } });
    expect(health.latencyMs).toBeLessThan(5_000);
    await expect(
      hung.scale({ kind: "Deployment", namespace: "production", name: "payments-api" }, 0),
    ).rejects.toMatchObject({ code: "timeout" });
  });

  it("reports a stopped API server as unreachable", async () => {
    await clusters.stopApiServer("dc1");
    const health = await dc1.health();
    expect(health).toMatchObject({ reachable: false, error: { code: "unavailable" } });
    expect((await dc2.health()).reachable).toBe(true);
  });
});
