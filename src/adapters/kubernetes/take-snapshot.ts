import type * as k8s from "@kubernetes/client-node";
import type { Snapshot, SnapshotObject } from "../../domain/snapshot.js";
import type { WorkloadState } from "../../domain/workloads.js";
import { workloadState } from "./workload-state.js";

/** The API clients a snapshot reads, and how to run one request (with the site's deadline). */
export interface SnapshotApis {
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  batch: k8s.BatchV1Api;
  request<T>(what: string, send: (options: k8s.ConfigurationOptions) => Promise<T>): Promise<T>;
}

/**
 * What `kubectl get all` shows, as data: pods, services, deployments, replica sets, stateful sets,
 * daemon sets, jobs and cron jobs. With no namespaces it reads all of them with one list per kind.
 */
export async function takeSnapshot(
  site: string,
  apis: SnapshotApis,
  namespaces: readonly string[],
  now: () => number = Date.now,
): Promise<Snapshot> {
  const scopes: Array<string | undefined> = namespaces.length > 0 ? [...namespaces] : [undefined];
  const perScope = await Promise.all(scopes.map((ns) => listAll(apis, ns)));
  const objects: SnapshotObject[] = [];
  const workloads: WorkloadState[] = [];
  const pods: Record<string, number> = Object.fromEntries(namespaces.map((ns) => [ns, 0]));
  for (const lists of perScope) {
    for (const p of lists.pods) {
      const namespace = p.metadata?.namespace ?? "";
      const phase = p.status?.phase ?? "Unknown";
      objects.push({ kind: "Pod", namespace, name: p.metadata?.name ?? "", status: phase });
      if (phase === "Running") pods[namespace] = (pods[namespace] ?? 0) + 1;
    }
    for (const s of lists.services) {
      const ports = (s.spec?.ports ?? []).map((p) => `${p.port}/${p.protocol ?? "TCP"}`).join(",");
      objects.push(object("Service", s, `${s.spec?.type ?? "ClusterIP"} ${ports || "<none>"}`));
    }
    for (const d of lists.deployments) {
      const state = workloadState("Deployment", d);
      workloads.push(state);
      objects.push(object("Deployment", d, `${state.readyReplicas}/${state.replicas}`));
    }
    for (const r of lists.replicaSets)
      objects.push(object("ReplicaSet", r, `${r.status?.readyReplicas ?? 0}/${r.spec?.replicas ?? 0}`));
    for (const s of lists.statefulSets) {
      const state = workloadState("StatefulSet", s);
      workloads.push(state);
      objects.push(object("StatefulSet", s, `${state.readyReplicas}/${state.replicas}`));
    }
    for (const d of lists.daemonSets)
      objects.push(
        object("DaemonSet", d, `${d.status?.numberReady ?? 0}/${d.status?.desiredNumberScheduled ?? 0}`),
      );
    for (const j of lists.jobs)
      objects.push(object("Job", j, `${j.status?.succeeded ?? 0}/${j.spec?.completions ?? 1}`));
    for (const c of lists.cronJobs)
      objects.push(object("CronJob", c, `${c.spec?.schedule ?? ""}${c.spec?.suspend ? " suspended" : ""}`));
  }
  return { site, takenAt: now(), namespaces: [...namespaces], workloads, pods, objects };
}

function object(
  kind: SnapshotObject["kind"],
  o: { metadata?: k8s.V1ObjectMeta },
  status: string,
): SnapshotObject {
  return { kind, namespace: o.metadata?.namespace ?? "", name: o.metadata?.name ?? "", status };
}

async function listAll(apis: SnapshotApis, namespace: string | undefined) {
  const where = namespace ?? "all namespaces";
  const { core, apps, batch } = apis;
  const [pods, services, deployments, replicaSets, statefulSets, daemonSets, jobs, cronJobs] =
    await Promise.all([
      apis.request(`list pods in ${where}`, (o) =>
        namespace ? core.listNamespacedPod({ namespace }, o) : core.listPodForAllNamespaces({}, o),
      ),
      apis.request(`list services in ${where}`, (o) =>
        namespace ? core.listNamespacedService({ namespace }, o) : core.listServiceForAllNamespaces({}, o),
      ),
      apis.request(`list deployments in ${where}`, (o) =>
        namespace
          ? apps.listNamespacedDeployment({ namespace }, o)
          : apps.listDeploymentForAllNamespaces({}, o),
      ),
      apis.request(`list replica sets in ${where}`, (o) =>
        namespace
          ? apps.listNamespacedReplicaSet({ namespace }, o)
          : apps.listReplicaSetForAllNamespaces({}, o),
      ),
      apis.request(`list stateful sets in ${where}`, (o) =>
        namespace
          ? apps.listNamespacedStatefulSet({ namespace }, o)
          : apps.listStatefulSetForAllNamespaces({}, o),
      ),
      apis.request(`list daemon sets in ${where}`, (o) =>
        namespace
          ? apps.listNamespacedDaemonSet({ namespace }, o)
          : apps.listDaemonSetForAllNamespaces({}, o),
      ),
      apis.request(`list jobs in ${where}`, (o) =>
        namespace ? batch.listNamespacedJob({ namespace }, o) : batch.listJobForAllNamespaces({}, o),
      ),
      apis.request(`list cron jobs in ${where}`, (o) =>
        namespace ? batch.listNamespacedCronJob({ namespace }, o) : batch.listCronJobForAllNamespaces({}, o),
      ),
    ]);
  return {
    pods: pods.items,
    services: services.items,
    deployments: deployments.items,
    replicaSets: replicaSets.items,
    statefulSets: statefulSets.items,
    daemonSets: daemonSets.items,
    jobs: jobs.items,
    cronJobs: cronJobs.items,
  };
}
