import { describe, expect, it } from "vitest";
import { judgeCapacity } from "../../../src/domain/readiness/capacity.js";
import type { NodeState } from "../../../src/domain/site-health.js";
import { workloadSpec } from "../../support/namespace-objects.js";

const node = (name: string, labels: Record<string, string> = {}, ready = true): NodeState => ({
  name,
  ready,
  labels,
  cpuMillis: 8_000,
  memoryBytes: 32 * 2 ** 30,
});
const dc1 = [node("a"), node("b"), node("c")];

function capacity(dc2: NodeState[], workloads = [workloadSpec()]) {
  return judgeCapacity({
    reference: { site: "dc1", nodes: { value: dc1 } },
    candidate: { site: "dc2", nodes: { value: dc2 } },
    workloads: { value: workloads },
  });
}

describe("capacity of the standby", () => {
  it("is ready with N-1 of the serving site's nodes, as the k8s.capacity step judges it", () => {
    const finding = capacity([node("x"), node("y")]);
    expect(finding.verdict).toBe("ready");
    expect(finding.evidence[0]).toBe("dc2: 2 nodes, 16 CPU, 64 GiB; dc1: 3 nodes, 24 CPU, 96 GiB");
  });

  it("is not_ready with less than N-1, counting Ready nodes only", () => {
    const finding = capacity([node("x"), node("y", {}, false)]);
    expect(finding).toMatchObject({ verdict: "not_ready", summary: "dc2 has less capacity than N-1 of dc1" });
    expect(finding.action).toMatch(/add nodes to dc2/);
  });

  it("is not_ready when no Ready node has the labels a workload selects", () => {
    const ssd = workloadSpec({
      nodeSelector: { disktype: "ssd" },
      nodeAffinity: [[{ key: "zone", operator: "In", values: ["a", "b"] }]],
    });
    const finding = capacity([node("x", { disktype: "ssd", zone: "c" }), node("y", { zone: "a" })], [ssd]);
    expect(finding.verdict).toBe("not_ready");
    expect(finding.summary).toBe(
      "Deployment production/payments-api selects disktype=ssd, zone In (a, b): no Ready node on dc2 has it",
    );
    expect(capacity([node("x", { disktype: "ssd", zone: "b" }), node("y")], [ssd]).verdict).toBe("ready");
  });

  it("is unknown, saying why, when a site's nodes could not be listed", () => {
    const finding = judgeCapacity({
      reference: { site: "dc1", nodes: { value: dc1 } },
      candidate: { site: "dc2", nodes: { error: "list nodes on dc2: timeout after 2000 ms" } },
      workloads: { value: [] },
    });
    expect(finding).toMatchObject({
      verdict: "unknown",
      evidence: ["dc2 nodes: list nodes on dc2: timeout after 2000 ms"],
    });
  });
});
