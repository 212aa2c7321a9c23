import { existsSync } from "node:fs";
import * as k8s from "@kubernetes/client-node";
import type { SiteConfig } from "../../domain/config.js";
import { DrError } from "../../domain/errors.js";
import {
  type NodeState,
  RUN_ID_LABEL,
  type SiteCapacity,
  type SiteHealth,
  type SitePort,
  type Snapshot,
  type WorkloadKind,
  type WorkloadRef,
  type WorkloadState,
} from "../../ports/site.js";
import { kubeError } from "./kube-error.js";
import { parseCpuMillis, parseMemoryBytes } from "./quantities.js";

/**
 * A site on @kubernetes/client-node: one KubeConfig per site (never a shared one with context
 * switches), and every request carries an abort signal with the site's deadline, so a hung API
 * server becomes a `timeout` in bounded time instead of a stuck bot.
 */
export class KubernetesSite implements SitePort {
  readonly name: string;
  private readonly apps: k8s.AppsV1Api;
  private readonly core: k8s.CoreV1Api;
  private readonly net: k8s.NetworkingV1Api;
  private readonly version: k8s.VersionApi;
  private readonly timeoutMs: number;

  constructor(site: SiteConfig, options: { kubeconfigPath?: string; timeoutMs?: number } = {}) {
    this.name = site.name;
    this.timeoutMs = options.timeoutMs ?? site.requestTimeout;
    const kc = new k8s.KubeConfig();
    const file = options.kubeconfigPath ?? site.kubeconfig.path;
    if (site.kubeconfig.inCluster) {
      kc.loadFromCluster();
    } else {
      if (!file || !existsSync(file))
        throw new DrError(
          "invalid_config",
          `site ${site.name}: kubeconfig ${file ?? "(none)"} does not exist`,
        );
      try {
        kc.loadFromFile(file);
      } catch (error) {
        throw new DrError(
          "invalid_config",
          `site ${site.name}: kubeconfig ${file} cannot be read (${error instanceof Error ? error.message.split("\n")[0] : "invalid"})`,
        );
      }
      const context = site.kubeconfig.context ?? kc.getCurrentContext();
      if (!kc.getContextObject(context))
        throw new DrError(
          "invalid_config",
          `site ${site.name}: kubeconfig ${file} has no context "${context}"`,
        );
      kc.setCurrentContext(context);
    }
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.net = kc.makeApiClient(k8s.NetworkingV1Api);
    this.version = kc.makeApiClient(k8s.VersionApi);
  }

  async health(): Promise<SiteHealth> {
    const started = performance.now();
    try {
      const [version, nodes] = await Promise.all([
        this.call("read the version", (o) => this.version.getCode(o)),
        this.nodes(),
      ]);
      const readyNodes = nodes.filter((n) => n.ready).length;
      return {
        site: this.name,
        reachable: true,
        ready: readyNodes > 0,
        version: version.gitVersion,
        nodes,
        readyNodes,
        latencyMs: performance.now() - started,
      };
    } catch (error) {
      const e = error instanceof DrError ? error : kubeError(error, this.name, "check health");
      return {
        site: this.name,
        reachable: false,
        ready: false,
        nodes: [],
        readyNodes: 0,
        latencyMs: performance.now() - started,
        error: { code: e.code, message: e.message },
      };
    }
  }

  async capacity(): Promise<SiteCapacity> {
    const nodes = await this.nodes();
    const ready = nodes.filter((n) => n.ready);
    return {
      site: this.name,
      nodes: nodes.length,
      readyNodes: ready.length,
      cpuMillis: ready.reduce((sum, n) => sum + n.cpuMillis, 0),
      memoryBytes: ready.reduce((sum, n) => sum + n.memoryBytes, 0),
    };
  }

  async listWorkloads(kind: WorkloadKind, namespace: string): Promise<WorkloadState[]> {
    if (kind === "Deployment") {
      const list = await this.call(`list deployments in ${namespace}`, (o) =>
        this.apps.listNamespacedDeployment({ namespace }, o),
      );
      return list.items.map((d) => workloadState("Deployment", d));
    }
    const list = await this.call(`list statefulsets in ${namespace}`, (o) =>
      this.apps.listNamespacedStatefulSet({ namespace }, o),
    );
    return list.items.map((s) => workloadState("StatefulSet", s));
  }

  async inventory(namespaces: readonly string[]): Promise<WorkloadState[]> {
    const lists = await Promise.all(
      namespaces.flatMap((ns) => [
        this.listWorkloads("Deployment", ns),
        this.listWorkloads("StatefulSet", ns),
      ]),
    );
    return lists.flat();
  }

  async readScale(ref: WorkloadRef): Promise<number> {
    const scale = await this.call(`read the scale of ${describe(ref)}`, (o) =>
      ref.kind === "Deployment"
        ? this.apps.readNamespacedDeploymentScale({ name: ref.name, namespace: ref.namespace }, o)
        : this.apps.readNamespacedStatefulSetScale({ name: ref.name, namespace: ref.namespace }, o),
    );
    return scale.spec?.replicas ?? 0;
  }

  async scale(ref: WorkloadRef, replicas: number): Promise<void> {
    const body = { spec: { replicas } };
    await this.call(`scale ${describe(ref)} to ${replicas}`, (o) => {
      const options = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch, o);
      return ref.kind === "Deployment"
        ? this.apps.patchNamespacedDeploymentScale(
            { name: ref.name, namespace: ref.namespace, body },
            options,
          )
        : this.apps.patchNamespacedStatefulSetScale(
            { name: ref.name, namespace: ref.namespace, body },
            options,
          );
    });
  }

  async read(ref: WorkloadRef): Promise<WorkloadState> {
    if (ref.kind === "Deployment")
      return workloadState(
        "Deployment",
        await this.call(`read ${describe(ref)}`, (o) =>
          this.apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace }, o),
        ),
      );
    return workloadState(
      "StatefulSet",
      await this.call(`read ${describe(ref)}`, (o) =>
        this.apps.readNamespacedStatefulSet({ name: ref.name, namespace: ref.namespace }, o),
      ),
    );
  }

  async waitForRollout(
    ref: WorkloadRef,
    options: {
      replicas?: number;
      deadline: number;
      signal?: AbortSignal;
      onProgress?: (state: WorkloadState) => void;
    },
  ): Promise<WorkloadState> {
    let delay = 100;
    for (;;) {
      const state = await this.read(ref);
      options.onProgress?.(state);
      const desired = options.replicas ?? state.replicas;
      const settled = state.observedGeneration >= state.generation && state.replicas === desired;
      if (settled && state.readyReplicas === desired && (desired === 0 || state.updatedReplicas === desired))
        return state;
      if (Date.now() + delay > options.deadline)
        throw new DrError(
          "timeout",
          `site ${this.name}: ${describe(ref)} has ${state.readyReplicas}/${desired} ready replicas at the deadline`,
          { state },
        );
      if (options.signal?.aborted)
        throw new DrError("timeout", `site ${this.name}: stopped waiting for ${describe(ref)}`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 1.5, 1_000);
    }
  }

  async snapshot(namespaces: readonly string[]): Promise<Snapshot> {
    const targets =
      namespaces.length > 0
        ? [...namespaces]
        : (await this.call("list namespaces", (o) => this.core.listNamespace({}, o))).items.map(
            (n) => n.metadata?.name ?? "",
          );
    const [workloads, pods] = await Promise.all([
      this.inventory(targets),
      Promise.all(
        targets.map(
          async (ns) =>
            [
              ns,
              (
                await this.call(`list pods in ${ns}`, (o) =>
                  this.core.listNamespacedPod({ namespace: ns }, o),
                )
              ).items.filter((p) => p.status?.phase === "Running").length,
            ] as const,
        ),
      ),
    ]);
    return { site: this.name, takenAt: Date.now(), workloads, pods: Object.fromEntries(pods) };
  }

  async isolate(runId: string, namespaces: readonly string[]): Promise<string[]> {
    const created: string[] = [];
    for (const namespace of namespaces) {
      const name = `drbot-isolate-${runId}`.slice(0, 63).replace(/-+$/, "");
      const body: k8s.V1NetworkPolicy = {
        metadata: {
          name,
          namespace,
          labels: { [RUN_ID_LABEL]: runId, "app.kubernetes.io/managed-by": "drbot" },
        },
        spec: {
          podSelector: {},
          policyTypes: ["Ingress", "Egress"],
          ingress: [{ _from: [{ podSelector: {} }] }],
          egress: [{ to: [{ podSelector: {} }] }],
        },
      };
      try {
        await this.call(`isolate ${namespace}`, (o) =>
          this.net.createNamespacedNetworkPolicy({ namespace, body }, o),
        );
      } catch (error) {
        if (!(error instanceof DrError && error.code === "conflict")) throw error;
      }
      created.push(`${namespace}/${name}`);
    }
    return created;
  }

  async removeIsolation(runId: string): Promise<number> {
    const policies = await this.call("list isolation policies", (o) =>
      this.net.listNetworkPolicyForAllNamespaces({ labelSelector: `${RUN_ID_LABEL}=${runId}` }, o),
    );
    for (const p of policies.items) {
      await this.call(`remove isolation ${p.metadata?.namespace}/${p.metadata?.name}`, (o) =>
        this.net.deleteNamespacedNetworkPolicy(
          { name: p.metadata!.name!, namespace: p.metadata!.namespace! },
          o,
        ),
      ).catch((error) => {
        if (!(error instanceof DrError && error.code === "not_found")) throw error;
      });
    }
    return policies.items.length;
  }

  async listByRunId(runId: string): Promise<string[]> {
    const policies = await this.call("list objects of a run", (o) =>
      this.net.listNetworkPolicyForAllNamespaces({ labelSelector: `${RUN_ID_LABEL}=${runId}` }, o),
    );
    return policies.items.map((p) => `NetworkPolicy ${p.metadata?.namespace}/${p.metadata?.name}`);
  }

  private async nodes(): Promise<NodeState[]> {
    const list = await this.call("list nodes", (o) => this.core.listNode({}, o));
    return list.items.map((n) => ({
      name: n.metadata?.name ?? "",
      ready: n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
      labels: n.metadata?.labels ?? {},
      cpuMillis: parseCpuMillis(n.status?.allocatable?.cpu),
      memoryBytes: parseMemoryBytes(n.status?.allocatable?.memory),
    }));
  }

  /** Runs one API request with this site's deadline and turns failures into DrError. */
  private async call<T>(
    what: string,
    request: (options: k8s.ConfigurationOptions) => Promise<T>,
  ): Promise<T> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    const middleware = {
      pre: (ctx: k8s.RequestContext) => {
        ctx.setSignal(signal);
        return new k8s.Observable(Promise.resolve(ctx));
      },
      post: (rsp: k8s.ResponseContext) => new k8s.Observable(Promise.resolve(rsp)),
    };
    // The signal also bounds the body read: a server that sends headers and then stalls cannot hold us.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new DrError("timeout", `site ${this.name}: no answer within ${this.timeoutMs} ms to ${what}`),
          ),
        this.timeoutMs + 50,
      );
    });
    try {
      return await Promise.race([
        request({ middleware: [middleware], middlewareMergeStrategy: "append" }),
        deadline,
      ]);
    } catch (error) {
      if (error instanceof DrError) throw error;
      throw kubeError(error, this.name, what, signal.aborted ? this.timeoutMs : undefined);
    } finally {
      clearTimeout(timer);
    }
  }
}

function describe(ref: WorkloadRef): string {
  return `${ref.kind.toLowerCase()} ${ref.namespace}/${ref.name}`;
}

function workloadState(kind: WorkloadKind, w: k8s.V1Deployment | k8s.V1StatefulSet): WorkloadState {
  const status = w.status as (k8s.V1DeploymentStatus & k8s.V1StatefulSetStatus) | undefined;
  return {
    kind,
    namespace: w.metadata?.namespace ?? "",
    name: w.metadata?.name ?? "",
    replicas: w.spec?.replicas ?? 0,
    readyReplicas: status?.readyReplicas ?? 0,
    updatedReplicas: status?.updatedReplicas ?? 0,
    availableReplicas: status?.availableReplicas ?? 0,
    generation: w.metadata?.generation ?? 0,
    observedGeneration: status?.observedGeneration ?? 0,
    images: w.spec?.template?.spec?.containers?.map((c) => c.image ?? "") ?? [],
  };
}
