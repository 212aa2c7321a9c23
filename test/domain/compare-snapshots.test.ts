import { describe, expect, it } from "vitest";
import { compareInventories, diffSnapshots, isEmptyDiff } from "../../src/domain/compare-snapshots.js";
import type { Snapshot, SnapshotObject } from "../../src/domain/snapshot.js";
import type { WorkloadState } from "../../src/domain/workloads.js";

function workload(name: string, over: Partial<WorkloadState> = {}): WorkloadState {
  return {
    kind: "Deployment",
    namespace: "production",
    name,
    replicas: 3,
    readyReplicas: 3,
    updatedReplicas: 3,
    availableReplicas: 3,
    generation: 1,
    observedGeneration: 1,
    images: [`registry.example/${name}:1.0`],
    ...over,
  };
}

function snapshot(over: Partial<Snapshot> = {}): Snapshot {
  return {
    site: "dc2",
    takenAt: 0,
    namespaces: ["production"],
    workloads: [],
    pods: {},
    objects: [],
    ...over,
  };
}

const service = (name: string, status: string): SnapshotObject => ({
  kind: "Service",
  namespace: "production",
  name,
  status,
});
const pod = (name: string): SnapshotObject => ({
  kind: "Pod",
  namespace: "production",
  name,
  status: "Running",
});

describe("diffSnapshots", () => {
  it("finds nothing between equal snapshots, whatever the listing order", () => {
    const a = snapshot({
      workloads: [workload("api"), workload("web")],
      objects: [service("api", "ClusterIP 80/TCP")],
    });
    const b = snapshot({
      workloads: [workload("web"), workload("api")],
      objects: [service("api", "ClusterIP 80/TCP")],
    });
    expect(isEmptyDiff(diffSnapshots(a, b))).toBe(true);
  });

  it("reports workloads and services added and removed, sorted", () => {
    const diff = diffSnapshots(
      snapshot({ workloads: [workload("old")], objects: [service("gone", "ClusterIP 80/TCP")] }),
      snapshot({
        workloads: [workload("zeta"), workload("alpha")],
        objects: [service("fresh", "ClusterIP 80/TCP")],
      }),
    );
    expect(diff.added).toEqual([
      "Deployment production/alpha",
      "Deployment production/zeta",
      "Service production/fresh",
    ]);
    expect(diff.removed).toEqual(["Deployment production/old", "Service production/gone"]);
  });

  it("reports replica, readiness and image changes of a workload", () => {
    const diff = diffSnapshots(
      snapshot({ workloads: [workload("api", { replicas: 0, readyReplicas: 0 })] }),
      snapshot({
        workloads: [workload("api", { replicas: 3, readyReplicas: 2, images: ["registry.example/api:1.1"] })],
      }),
    );
    expect(diff.changed).toEqual([
      {
        object: "Deployment production/api",
        field: "images",
        before: "registry.example/api:1.0",
        after: "registry.example/api:1.1",
      },
      { object: "Deployment production/api", field: "readyReplicas", before: "0", after: "2" },
      { object: "Deployment production/api", field: "replicas", before: "0", after: "3" },
    ]);
  });

  it("compares pods as running counts per namespace, not by their generated names", () => {
    const diff = diffSnapshots(
      snapshot({ objects: [pod("api-5d8f-abcde")], pods: { production: 1 } }),
      snapshot({
        objects: [pod("api-7c9a-fghij"), pod("api-7c9a-klmno")],
        pods: { production: 2, staging: 0 },
      }),
    );
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
    expect(diff.runningPods).toEqual([{ namespace: "production", before: 1, after: 2 }]);
  });

  it("reports a service whose type or ports changed", () => {
    const diff = diffSnapshots(
      snapshot({ objects: [service("api", "ClusterIP 80/TCP")] }),
      snapshot({ objects: [service("api", "LoadBalancer 80/TCP,443/TCP")] }),
    );
    expect(diff.changed).toEqual([
      {
        object: "Service production/api",
        field: "status",
        before: "ClusterIP 80/TCP",
        after: "LoadBalancer 80/TCP,443/TCP",
      },
    ]);
  });
});

describe("compareInventories", () => {
  it("lists workloads missing on the candidate and those only there", () => {
    const drift = compareInventories(
      { site: "dc1", workloads: [workload("api"), workload("ledger", { kind: "StatefulSet" })] },
      { site: "dc2", workloads: [workload("api"), workload("debug-shell")] },
    );
    expect(drift).toMatchObject({ reference: "dc1", candidate: "dc2" });
    expect(drift.missing).toEqual([{ kind: "StatefulSet", namespace: "production", name: "ledger" }]);
    expect(drift.extra).toEqual([{ kind: "Deployment", namespace: "production", name: "debug-shell" }]);
  });

  it("reports image and replica differences of workloads both sites have", () => {
    const drift = compareInventories(
      { site: "dc1", workloads: [workload("api", { images: ["registry.example/api:2.0"] })] },
      { site: "dc2", workloads: [workload("api", { replicas: 0, images: ["registry.example/api:1.9"] })] },
    );
    const api = { kind: "Deployment", namespace: "production", name: "api" };
    expect(drift.images).toEqual([
      { workload: api, reference: ["registry.example/api:2.0"], candidate: ["registry.example/api:1.9"] },
    ]);
    expect(drift.replicas).toEqual([{ workload: api, reference: 3, candidate: 0 }]);
  });

  it("tells a Deployment and a StatefulSet of the same name apart", () => {
    const drift = compareInventories(
      { site: "dc1", workloads: [workload("db", { kind: "StatefulSet" })] },
      { site: "dc2", workloads: [workload("db")] },
    );
    expect(drift.missing).toEqual([{ kind: "StatefulSet", namespace: "production", name: "db" }]);
    expect(drift.extra).toEqual([{ kind: "Deployment", namespace: "production", name: "db" }]);
  });

  it("finds no drift between identical inventories", () => {
    const drift = compareInventories(
      { site: "dc1", workloads: [workload("api")] },
      { site: "dc2", workloads: [workload("api")] },
    );
    expect([drift.missing, drift.extra, drift.images, drift.replicas]).toEqual([[], [], [], []]);
  });
});
