import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { k8sCapacityStep } from "../../../src/engine/step-kinds/k8s-capacity.js";
import type { KubernetesServices } from "../../../src/ports/site.js";
import { kubernetesSites } from "../../../src/runtime/create-runtime.js";
import { startTestClusters, type TestClusters } from "../../support/k8s-testenv.js";
import { stepContext } from "../../support/step-context.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * The capacity rule on real clusters: DC2 must have DC1's Ready capacity, or N-1 nodes' worth where
 * the step allows it. Both start with 3 simulated nodes of 32 CPU and 128 GiB; DC2 then loses its
 * nodes one at a time (deleted, as a failed node is removed), so the step sees N, N-1 and N-2.
 * The nodes come back afterwards: the next test file on these clusters finds three again.
 */
let clusters: TestClusters;
let sites: KubernetesServices;

const check = (allowNMinus1: boolean) =>
  k8sCapacityStep.execute(
    stepContext(clusters.config(), { services: { sites } }),
    k8sCapacityStep.params.parse({ primary: "dc1", dr: "dc2", allowNMinus1 }),
  );

/** The nodes this file deleted, as they were (KWOK makes a re-created node Ready again). */
const removed: string[] = [];

async function removeDc2Node(name: string, left: number): Promise<void> {
  const node = JSON.parse(await clusters.kubectl("dc2", "get", "node", name, "-o", "json"));
  removed.push(
    JSON.stringify({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, labels: node.metadata.labels, annotations: node.metadata.annotations },
      spec: { taints: node.spec.taints },
    }),
  );
  await clusters.kubectl("dc2", "delete", "node", name, "--timeout=30s");
  await waitFor(async () => (await sites.site("dc2").capacity()).readyNodes === left, {
    timeoutMs: 30_000,
    intervalMs: 200,
    description: `dc2 to have ${left} Ready nodes`,
  });
}

beforeAll(async () => {
  clusters = await startTestClusters();
  sites = kubernetesSites(clusters.config());
}, 300_000);
afterAll(async () => {
  for (const [i, node] of removed.entries()) {
    const file = join(clusters.dir, `restored-node-${process.pid}-${i}.json`);
    await writeFile(file, node);
    await clusters.kubectl("dc2", "create", "-f", file);
  }
  if (removed.length > 0)
    await waitFor(async () => (await sites.site("dc2").capacity()).readyNodes === 3, {
      timeoutMs: 60_000,
      intervalMs: 200,
      description: "dc2's nodes to be Ready again",
    });
  await clusters?.stop();
});

describe("k8s.capacity on the real clusters", () => {
  it("passes when DC2 has as many nodes as DC1, with or without N-1", async () => {
    for (const allow of [true, false])
      expect(await check(allow)).toEqual({
        status: "succeeded",
        output: "dc2: 3 nodes, 96 CPU, 384 GiB; dc1: 3 nodes, 96 CPU, 384 GiB",
      });
  });

  it("passes at N-1 only where N-1 is allowed", async () => {
    await removeDc2Node("dc2-node-2", 2);
    const output = "dc2: 2 nodes, 64 CPU, 256 GiB; dc1: 3 nodes, 96 CPU, 384 GiB";
    expect(await check(true)).toEqual({ status: "succeeded", output });
    expect(await check(false)).toEqual({
      status: "failed",
      error: "dc2 has less capacity than dc1",
      output,
    });
    const observed = await k8sCapacityStep.observe!(
      stepContext(clusters.config(), { services: { sites } }),
      k8sCapacityStep.params.parse({ primary: "dc1", dr: "dc2", allowNMinus1: false }),
    );
    expect(observed).toEqual({ holds: false, evidence: `dc2 has less capacity than dc1 (${output})` });
  });

  it("fails at N-2 even with N-1 allowed", async () => {
    await removeDc2Node("dc2-node-1", 1);
    const output = "dc2: 1 nodes, 32 CPU, 128 GiB; dc1: 3 nodes, 96 CPU, 384 GiB";
    expect(await check(true)).toEqual({
      status: "failed",
      error: "dc2 has less capacity than N-1 of dc1",
      output,
    });
    expect(await check(false)).toMatchObject({ status: "failed", error: "dc2 has less capacity than dc1" });
  });
});
