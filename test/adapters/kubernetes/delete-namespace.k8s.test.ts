import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubernetesSite } from "../../../src/adapters/kubernetes/kubernetes-site.js";
import { DrError } from "../../../src/domain/errors.js";
import { startTestClusters, type TestClusters } from "../../support/k8s-testenv.js";

/** The restore test's clean-up on a real cluster: scratch namespaces go, with what is in them. */
let clusters: TestClusters;

beforeAll(async () => {
  clusters = await startTestClusters();
});
afterAll(async () => {
  await clusters?.stop();
});

describe("deleting a scratch namespace", () => {
  it("deletes it with its workloads and returns once it is gone; a second time finds nothing", async () => {
    const scratch = clusters.ns("drbot-restore-production");
    await clusters.kubectl("dc2", "create", "namespace", scratch);
    await clusters.kubectl(
      "dc2",
      "create",
      "deployment",
      "payments-api",
      "-n",
      scratch,
      "--image=registry.example/payments:2.0",
      "--replicas=2",
    );
    const site = new KubernetesSite(clusters.config().sites[1]!);
    expect(await site.deleteNamespace(scratch, { deadline: Date.now() + 60_000 })).toBe(true);
    const left = await clusters.kubectl("dc2", "get", "namespaces", "-o", "name");
    expect(left).not.toContain(scratch);
    expect(await site.deleteNamespace(scratch, { deadline: Date.now() + 10_000 })).toBe(false);
  });

  it("fails in bounded time, naming the namespace, when the API server is stopped", async () => {
    const site = new KubernetesSite(clusters.config().sites[0]!);
    await clusters.stopApiServer("dc1");
    try {
      const error = await site
        .deleteNamespace("drbot-restore-x", { deadline: Date.now() + 3_000 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DrError);
      expect((error as DrError).message).toContain("namespace drbot-restore-x");
    } finally {
      await clusters.startApiServer("dc1");
    }
  });
});
