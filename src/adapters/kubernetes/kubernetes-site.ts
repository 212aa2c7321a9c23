import * as k8s from "@kubernetes/client-node";
import { capacityOf } from "../../domain/capacity.js";
import { compareInventories } from "../../domain/compare-snapshots.js";
import type { SiteConfig } from "../../domain/config.js";
import type { NetworkPolicyShape } from "../../domain/network-policy.js";
import type { NodeState, SiteCapacity, SiteHealth } from "../../domain/site-health.js";
import type { Snapshot } from "../../domain/snapshot.js";
import type {
  CronJobRef,
  CronJobState,
  Drift,
  FenceResult,
  WorkloadKind,
  WorkloadRef,
  WorkloadState,
} from "../../domain/workloads.js";
import type { NamespaceDeleteOptions, RequestOptions, RolloutOptions, SitePort } from "../../ports/site.js";
import { type CronJobApi, listCronJobs, readCronJob, suspendCronJob } from "./cron-jobs.js";
import { deleteNamespace } from "./delete-namespace.js";
import { KubeError, toKubeError } from "./kube-error.js";
import { loadKubeConfig } from "./load-kube-config.js";
import {
  applyRunPolicies,
  createRunNamespace,
  listByRunId,
  type RunObjectApis,
  removeRunPolicies,
} from "./run-objects.js";
import { takeSnapshot } from "./take-snapshot.js";
import { refText, waitForRollout } from "./wait-for-rollout.js";
import { withDeadline } from "./with-deadline.js";
import { nodeState, workloadState } from "./workload-state.js";

/**
 * A site on @kubernetes/client-node 2: one KubeConfig per site, and every request carries an abort
 * signal with the site's deadline (see with-deadline.ts), so a hung API server becomes a `timeout`
 * in bounded time instead of a stuck bot. Errors are KubeError (a DrError) naming site and action.
 */
export class KubernetesSite implements SitePort {
  readonly name: string;
  private readonly apps: k8s.AppsV1Api;
  private readonly core: k8s.CoreV1Api;
  private readonly batch: k8s.BatchV1Api;
  private readonly net: k8s.NetworkingV1Api;
  private readonly version: k8s.VersionApi;
  private readonly probe: k8s.Health;
  private readonly timeoutMs: number;

  /** Throws KubeError (invalid_config) when the kubeconfig or its context cannot be used. */
  constructor(site: SiteConfig, options: { kubeconfigPath?: string; timeoutMs?: number } = {}) {
    this.name = site.name;
    this.timeoutMs = options.timeoutMs ?? site.requestTimeout;
    const kc = loadKubeConfig(site, options);
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.batch = kc.makeApiClient(k8s.BatchV1Api);
    this.net = kc.makeApiClient(k8s.NetworkingV1Api);
    this.version = kc.makeApiClient(k8s.VersionApi);
    this.probe = new k8s.Health(kc);
  }

  async health(options?: RequestOptions): Promise<SiteHealth> {
    const started = performance.now();
    const [version, ready, nodes] = await Promise.allSettled([
      this.request("read the version", options, (o) => this.version.getCode(o)),
      this.request("check /readyz", options, (_o, signal) => this.probe.readyz({ signal })),
      this.nodes(options),
    ]);
    const latencyMs = performance.now() - started;
    const failure = [version, ready, nodes].find((r) => r.status === "rejected");
    if (version.status === "rejected" && nodes.status === "rejected") {
      const e = toKubeError(failure?.reason, { site: this.name, operation: "check health" });
      return {
        site: this.name,
        reachable: false,
        ready: false,
        nodes: [],
        readyNodes: 0,
        latencyMs,
        error: { code: e.code, reason: e.reason, message: e.message },
      };
    }
    const nodeList = nodes.status === "fulfilled" ? nodes.value : [];
    const readyNodes = nodeList.filter((n) => n.ready).length;
    const apiReady = ready.status === "fulfilled" && ready.value;
    const health: SiteHealth = {
      site: this.name,
      reachable: true,
      ready: apiReady && readyNodes > 0,
      apiReady,
      nodes: nodeList,
      readyNodes,
      latencyMs,
    };
    if (version.status === "fulfilled") health.version = version.value.gitVersion;
    if (failure) {
      const e = toKubeError(failure.reason, { site: this.name, operation: "check health" });
      health.error = { code: e.code, reason: e.reason, message: e.message };
    }
    return health;
  }

  async capacity(options?: RequestOptions): Promise<SiteCapacity> {
    return capacityOf(this.name, await this.nodes(options));
  }

  async listWorkloads(
    kind: WorkloadKind,
    namespace: string,
    options?: RequestOptions,
  ): Promise<WorkloadState[]> {
    if (kind === "Deployment") {
      const list = await this.request(`list deployments in ${namespace}`, options, (o) =>
        this.apps.listNamespacedDeployment({ namespace }, o),
      );
      return list.items.map((d) => workloadState("Deployment", d));
    }
    const list = await this.request(`list statefulsets in ${namespace}`, options, (o) =>
      this.apps.listNamespacedStatefulSet({ namespace }, o),
    );
    return list.items.map((s) => workloadState("StatefulSet", s));
  }

  async inventory(namespaces: readonly string[], options?: RequestOptions): Promise<WorkloadState[]> {
    const lists = await Promise.all(
      namespaces.flatMap((ns) => [
        this.listWorkloads("Deployment", ns, options),
        this.listWorkloads("StatefulSet", ns, options),
      ]),
    );
    return lists.flat();
  }

  async read(ref: WorkloadRef, options?: RequestOptions): Promise<WorkloadState> {
    const params = { name: ref.name, namespace: ref.namespace };
    if (ref.kind === "Deployment") {
      const d = await this.request(`read ${refText(ref)}`, options, (o) =>
        this.apps.readNamespacedDeployment(params, o),
      );
      return workloadState("Deployment", d);
    }
    const s = await this.request(`read ${refText(ref)}`, options, (o) =>
      this.apps.readNamespacedStatefulSet(params, o),
    );
    return workloadState("StatefulSet", s);
  }

  async readScale(ref: WorkloadRef, options?: RequestOptions): Promise<number> {
    const params = { name: ref.name, namespace: ref.namespace };
    const scale = await this.request(`read the scale of ${refText(ref)}`, options, (o) =>
      ref.kind === "Deployment"
        ? this.apps.readNamespacedDeploymentScale(params, o)
        : this.apps.readNamespacedStatefulSetScale(params, o),
    );
    return scale.spec?.replicas ?? 0;
  }

  async scale(ref: WorkloadRef, replicas: number, options?: RequestOptions): Promise<void> {
    // A merge patch on the scale subresource: generated patch methods default to JSON Patch, so the
    // Content-Type must be set, and its key spelled exactly so (client-node #2160).
    const params = { name: ref.name, namespace: ref.namespace, body: { spec: { replicas } } };
    await this.request(`scale ${refText(ref)} to ${replicas}`, options, (o) => {
      const patch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch, o);
      return ref.kind === "Deployment"
        ? this.apps.patchNamespacedDeploymentScale(params, patch)
        : this.apps.patchNamespacedStatefulSetScale(params, patch);
    });
  }

  listCronJobs(namespace: string, options?: RequestOptions): Promise<CronJobState[]> {
    return listCronJobs(this.cronJobApi(options), namespace);
  }

  readCronJob(ref: CronJobRef, options?: RequestOptions): Promise<CronJobState> {
    return readCronJob(this.cronJobApi(options), ref);
  }

  suspendCronJob(
    ref: CronJobRef,
    suspend: boolean,
    options?: RequestOptions & { runId?: string },
  ): Promise<void> {
    return suspendCronJob(this.cronJobApi(options), ref, suspend, options?.runId);
  }

  private cronJobApi(options: RequestOptions | undefined): CronJobApi {
    return { batch: this.batch, request: (what, send) => this.request(what, options, send) };
  }

  waitForRollout(ref: WorkloadRef, options: RolloutOptions): Promise<WorkloadState> {
    return waitForRollout(this.name, ref, (signal) => this.read(ref, { signal }), options);
  }

  snapshot(namespaces: readonly string[] = [], options?: RequestOptions): Promise<Snapshot> {
    return takeSnapshot(
      this.name,
      {
        core: this.core,
        apps: this.apps,
        batch: this.batch,
        request: (what, send) => this.request(what, options, send),
      },
      namespaces,
    );
  }

  async drift(other: SitePort, namespaces: readonly string[], options?: RequestOptions): Promise<Drift> {
    const [mine, theirs] = await Promise.all([
      this.inventory(namespaces, options),
      other.inventory(namespaces, options),
    ]);
    return compareInventories({ site: this.name, workloads: mine }, { site: other.name, workloads: theirs });
  }

  async fence(workloads: readonly WorkloadRef[], options?: RequestOptions): Promise<FenceResult> {
    const result: FenceResult = { site: this.name, reachable: true, fenced: [], notFound: [], failed: [] };
    for (const [index, ref] of workloads.entries()) {
      try {
        await this.scale(ref, 0, options);
        result.fenced.push(ref);
      } catch (error) {
        const e = toKubeError(error, { site: this.name, operation: `fence ${refText(ref)}` });
        if (e.reason === "not_found") {
          result.notFound.push(ref);
        } else if (e.reason === "timeout" || e.reason === "unreachable") {
          // The site stopped answering: don't spend a deadline on each remaining workload.
          result.reachable = false;
          for (const rest of workloads.slice(index))
            result.failed.push({ workload: rest, reason: e.reason, message: e.message });
          break;
        } else {
          result.failed.push({ workload: ref, reason: e.reason, message: e.message });
        }
      }
    }
    return result;
  }

  applyRunPolicies(
    runId: string,
    policies: readonly { namespace: string; policy: NetworkPolicyShape }[],
    options?: RequestOptions,
  ): Promise<string[]> {
    return applyRunPolicies(this.runObjects(options), runId, policies);
  }

  removeIsolation(runId: string, options?: RequestOptions): Promise<number> {
    return removeRunPolicies(this.runObjects(options), runId);
  }

  createRunNamespace(runId: string, name: string, options?: RequestOptions): Promise<void> {
    return createRunNamespace(this.runObjects(options), runId, name);
  }

  listByRunId(runId: string, options?: RequestOptions): Promise<string[]> {
    return listByRunId(this.runObjects(options), runId);
  }

  private runObjects(options: RequestOptions | undefined): RunObjectApis {
    return {
      site: this.name,
      core: this.core,
      apps: this.apps,
      batch: this.batch,
      net: this.net,
      request: (what, send) => this.request(what, options, send),
    };
  }

  private async nodes(options?: RequestOptions): Promise<NodeState[]> {
    const list = await this.request("list nodes", options, (o) => this.core.listNode({}, o));
    return list.items.map(nodeState);
  }

  async deleteNamespace(name: string, options: NamespaceDeleteOptions): Promise<boolean> {
    return deleteNamespace(
      this.name,
      name,
      {
        remove: (signal) =>
          this.request(`delete namespace ${name}`, { signal }, (o) => this.core.deleteNamespace({ name }, o)),
        exists: (signal) =>
          this.request(`read namespace ${name}`, { signal }, (o) =>
            this.core.readNamespace({ name }, o),
          ).then(
            () => true,
            (error) => {
              if (error instanceof KubeError && error.reason === "not_found") return false;
              throw error;
            },
          ),
      },
      options,
    );
  }

  private request<T>(
    what: string,
    options: RequestOptions | undefined,
    send: (o: k8s.ConfigurationOptions, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return withDeadline({ site: this.name, operation: what }, this.timeoutMs, options?.signal, send);
  }
}
