import type { ObjectKey, Snapshot, SnapshotDiff, SnapshotObject } from "./snapshot.js";
import type { Drift, WorkloadRef, WorkloadState } from "./workloads.js";

/** Pure comparisons of site data (no client library, no I/O), tested on plain objects. */

/** Kinds whose names carry random suffixes that change on every rollout: compared as counts. */
const UNSTABLE_NAMES = new Set<SnapshotObject["kind"]>(["Pod", "ReplicaSet"]);

/**
 * What changed from `before` to `after`: objects added and removed (by kind, namespace and name),
 * workload replicas and images, the status column of other objects, and running pods per namespace.
 * Entries are sorted, so equal inputs give equal output whatever the listing order.
 */
export function diffSnapshots(before: Snapshot, after: Snapshot): SnapshotDiff {
  const a = stableObjects(before);
  const b = stableObjects(after);
  const changed: SnapshotDiff["changed"] = [];
  const wa = new Map(before.workloads.map((w) => [workloadKey(w), w]));
  const wb = new Map(after.workloads.map((w) => [workloadKey(w), w]));
  for (const [key, old] of wa) {
    const now = wb.get(key);
    if (!now) continue;
    for (const field of ["replicas", "readyReplicas"] as const)
      if (old[field] !== now[field])
        changed.push({ object: key, field, before: String(old[field]), after: String(now[field]) });
    if (old.images.join(",") !== now.images.join(","))
      changed.push({
        object: key,
        field: "images",
        before: old.images.join(","),
        after: now.images.join(","),
      });
  }
  for (const [key, old] of a) {
    const now = b.get(key);
    if (now && !isWorkload(old) && old.status !== now.status)
      changed.push({ object: key, field: "status", before: old.status, after: now.status });
  }
  const namespaces = new Set([...Object.keys(before.pods), ...Object.keys(after.pods)]);
  const runningPods = [...namespaces]
    .map((namespace) => ({
      namespace,
      before: before.pods[namespace] ?? 0,
      after: after.pods[namespace] ?? 0,
    }))
    .filter((p) => p.before !== p.after)
    .sort((x, y) => x.namespace.localeCompare(y.namespace));
  return {
    added: [...b.keys()].filter((k) => !a.has(k)).sort(),
    removed: [...a.keys()].filter((k) => !b.has(k)).sort(),
    changed: changed.sort((x, y) => x.object.localeCompare(y.object) || x.field.localeCompare(y.field)),
    runningPods,
  };
}

export function isEmptyDiff(diff: SnapshotDiff): boolean {
  return diff.added.length + diff.removed.length + diff.changed.length + diff.runningPods.length === 0;
}

/**
 * How the candidate site's workloads differ from the reference site's: workloads missing on the
 * candidate or only there, different images, different desired replicas. Replica differences are
 * expected for a standby (DR scaled to 0); callers decide which ones matter.
 */
export function compareInventories(
  reference: { site: string; workloads: readonly WorkloadState[] },
  candidate: { site: string; workloads: readonly WorkloadState[] },
): Drift {
  const ref = new Map(reference.workloads.map((w) => [workloadKey(w), w]));
  const cand = new Map(candidate.workloads.map((w) => [workloadKey(w), w]));
  const drift: Drift = {
    reference: reference.site,
    candidate: candidate.site,
    missing: [],
    extra: [],
    images: [],
    replicas: [],
  };
  for (const key of [...ref.keys()].sort()) {
    const r = ref.get(key)!;
    const c = cand.get(key);
    if (!c) {
      drift.missing.push(refOf(r));
      continue;
    }
    if (r.images.join(",") !== c.images.join(","))
      drift.images.push({ workload: refOf(r), reference: r.images, candidate: c.images });
    if (r.replicas !== c.replicas)
      drift.replicas.push({ workload: refOf(r), reference: r.replicas, candidate: c.replicas });
  }
  for (const key of [...cand.keys()].sort()) if (!ref.has(key)) drift.extra.push(refOf(cand.get(key)!));
  return drift;
}

export function objectKey(o: { kind: string; namespace: string; name: string }): ObjectKey {
  return `${o.kind} ${o.namespace}/${o.name}`;
}

function workloadKey(w: WorkloadRef): ObjectKey {
  return objectKey(w);
}

function refOf(w: WorkloadRef): WorkloadRef {
  return { kind: w.kind, namespace: w.namespace, name: w.name };
}

function isWorkload(o: SnapshotObject): boolean {
  return o.kind === "Deployment" || o.kind === "StatefulSet";
}

function stableObjects(s: Snapshot): Map<ObjectKey, SnapshotObject> {
  const objects = new Map<ObjectKey, SnapshotObject>();
  for (const o of s.objects ?? []) if (!UNSTABLE_NAMES.has(o.kind)) objects.set(objectKey(o), o);
  // Older snapshots carry only workloads; they still diff by workload.
  for (const w of s.workloads)
    if (!objects.has(workloadKey(w)))
      objects.set(workloadKey(w), { kind: w.kind, namespace: w.namespace, name: w.name, status: "" });
  return objects;
}
