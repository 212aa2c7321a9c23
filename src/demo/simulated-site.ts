import { DrError } from "../domain/errors.js";
import type { NetworkPolicyShape } from "../domain/network-policy.js";
import type { NodeState, SiteCapacity, SiteHealth } from "../domain/site-health.js";
import type { Snapshot, SnapshotObject } from "../domain/snapshot.js";
import type {
  CronJobRef,
  CronJobState,
  Drift,
  FenceResult,
  WorkloadKind,
  WorkloadRef,
  WorkloadState,
} from "../domain/workloads.js";
import type { Clock } from "../ports/clock.js";
import type { NamespaceDeleteOptions, RequestOptions, RolloutOptions, SitePort } from "../ports/site.js";

/**
 * A Kubernetes site that lives in the demo process: nodes, Deployments and StatefulSets kept in
 * memory, scaling that rolls out over time (one replica becomes ready every `replicaReadyMs`), so
 * the progress message shows real waiting. It keeps the SitePort contract (deadlines, abort
 * signals, DrError with what and where) so the engine and the step kinds run unchanged. Its version
 * string says SIMULATED, which `/dr status` shows next to every site.
 */
export interface SimulatedSiteOptions {
  name: string;
  datacenter: string;
  clock: Clock;
  workloads: Array<{
    kind?: WorkloadKind;
    namespace: string;
    name: string;
    replicas: number;
    image?: string;
  }>;
  nodes?: number;
  replicaReadyMs?: number;
  /**
   * How long each change to the site (a scale, a fence, network policies, a namespace, a snapshot)
   * takes before it holds, as a real API server and its controllers take a moment: 0 for at once.
   * Reads (health, capacity, inventories) answer at once, so `/dr status` stays quick.
   */
  operationMs?: number;
}

interface SimulatedWorkload {
  ref: WorkloadRef;
  replicas: number;
  /** Ready replicas when the last change was made, and when that was. */
  readyAtChange: number;
  changedAt: number;
  generation: number;
  images: string[];
}

const POLL_MS = 100;
export const SIMULATED_VERSION = "v1.36.3 (SIMULATED)";

export class SimulatedSite implements SitePort {
  readonly name: string;
  private readonly workloads = new Map<string, SimulatedWorkload>();
  private readonly nodes: NodeState[];
  /** What each run created, as listByRunId names it. */
  private readonly runObjects = new Map<string, Set<string>>();
  /** CronJobs by "namespace/name" (the demo's sites have none). */
  private readonly cronJobs = new Map<string, CronJobState>();
  private readonly replicaReadyMs: number;
  private readonly operationMs: number;

  constructor(private readonly options: SimulatedSiteOptions) {
    this.name = options.name;
    this.replicaReadyMs = options.replicaReadyMs ?? 400;
    this.operationMs = options.operationMs ?? 0;
    this.nodes = Array.from({ length: options.nodes ?? 3 }, (_, i) => ({
      name: `${options.name}-node-${i + 1}`,
      ready: true,
      labels: { datacenter: options.datacenter, environment: "production", simulated: "true" },
      cpuMillis: 8_000,
      memoryBytes: 32 * 2 ** 30,
    }));
    const now = options.clock.now();
    for (const w of options.workloads) {
      const ref: WorkloadRef = { kind: w.kind ?? "Deployment", namespace: w.namespace, name: w.name };
      this.workloads.set(keyOf(ref), {
        ref,
        replicas: w.replicas,
        readyAtChange: w.replicas,
        changedAt: now,
        generation: 1,
        images: [w.image ?? `registry.example/${w.name}:2.0`],
      });
    }
  }

  async health(options: RequestOptions = {}): Promise<SiteHealth> {
    if (options.signal?.aborted)
      return {
        site: this.name,
        reachable: false,
        ready: false,
        nodes: [],
        readyNodes: 0,
        latencyMs: 0,
        error: { code: "timeout", reason: "timeout", message: `health of ${this.name} was cut short` },
      };
    const readyNodes = this.nodes.filter((n) => n.ready).length;
    return {
      site: this.name,
      reachable: true,
      ready: readyNodes > 0,
      apiReady: true,
      version: SIMULATED_VERSION,
      nodes: this.nodes.map((n) => ({ ...n, labels: { ...n.labels } })),
      readyNodes,
      latencyMs: 1,
    };
  }

  async capacity(options: RequestOptions = {}): Promise<SiteCapacity> {
    this.check("read capacity", options);
    const ready = this.nodes.filter((n) => n.ready);
    return {
      site: this.name,
      nodes: this.nodes.length,
      readyNodes: ready.length,
      cpuMillis: ready.reduce((sum, n) => sum + n.cpuMillis, 0),
      memoryBytes: ready.reduce((sum, n) => sum + n.memoryBytes, 0),
    };
  }

  async listWorkloads(
    kind: WorkloadKind,
    namespace: string,
    options: RequestOptions = {},
  ): Promise<WorkloadState[]> {
    this.check(`list ${kind}s in ${namespace}`, options);
    return [...this.workloads.values()]
      .filter((w) => w.ref.kind === kind && w.ref.namespace === namespace)
      .map((w) => this.stateOf(w));
  }

  async inventory(namespaces: readonly string[], options: RequestOptions = {}): Promise<WorkloadState[]> {
    this.check("list workloads", options);
    return [...this.workloads.values()]
      .filter((w) => namespaces.length === 0 || namespaces.includes(w.ref.namespace))
      .map((w) => this.stateOf(w));
  }

  async readScale(ref: WorkloadRef, options: RequestOptions = {}): Promise<number> {
    this.check(`read the scale of ${describe(ref)}`, options);
    return this.find(ref, "read the scale of").replicas;
  }

  async scale(ref: WorkloadRef, replicas: number, options: RequestOptions = {}): Promise<void> {
    this.find(ref, "scale");
    await this.work(`scale ${describe(ref)}`, options);
    this.setReplicas(ref, replicas);
  }

  private setReplicas(ref: WorkloadRef, replicas: number): void {
    const workload = this.find(ref, "scale");
    if (workload.replicas === replicas) return;
    const now = this.options.clock.now();
    workload.readyAtChange = Math.min(this.readyOf(workload, now), replicas);
    workload.replicas = replicas;
    workload.changedAt = now;
    workload.generation++;
  }

  async listCronJobs(namespace: string, options: RequestOptions = {}): Promise<CronJobState[]> {
    this.check(`list cronjobs in ${namespace}`, options);
    return [...this.cronJobs.values()].filter((j) => j.namespace === namespace);
  }

  async readCronJob(ref: CronJobRef, options: RequestOptions = {}): Promise<CronJobState> {
    this.check(`read cronjob ${ref.namespace}/${ref.name}`, options);
    const job = this.cronJobs.get(`${ref.namespace}/${ref.name}`);
    if (!job)
      throw new DrError("not_found", `cronjob ${ref.namespace}/${ref.name} not found on ${this.name}`, {
        reason: "not_found",
        site: this.name,
      });
    return job;
  }

  async suspendCronJob(
    ref: CronJobRef,
    suspend: boolean,
    options: RequestOptions & { runId?: string } = {},
  ): Promise<void> {
    const { suspendedByRun: _, ...job } = await this.readCronJob(ref, options);
    await this.work(`suspend cronjob ${ref.namespace}/${ref.name}`, options);
    const by = suspend && options.runId ? { suspendedByRun: options.runId } : {};
    this.cronJobs.set(`${ref.namespace}/${ref.name}`, { ...job, suspended: suspend, ...by });
  }

  async waitForRollout(ref: WorkloadRef, options: RolloutOptions): Promise<WorkloadState> {
    for (;;) {
      this.check(`wait for ${describe(ref)} to roll out`, options);
      const state = this.stateOf(this.find(ref, "wait for"));
      options.onProgress?.(state);
      const want = options.replicas ?? state.replicas;
      if (state.readyReplicas === want && state.replicas === want) return state;
      if (this.options.clock.now() >= options.deadline)
        throw new DrError(
          "timeout",
          `${describe(ref)} on ${this.name} has ${state.readyReplicas}/${want} ready at the deadline`,
          { reason: "timeout", site: this.name, operation: "waitForRollout", state },
        );
      await pause(POLL_MS, options.signal);
    }
  }

  async snapshot(namespaces: readonly string[] = [], options: RequestOptions = {}): Promise<Snapshot> {
    await this.work("take a snapshot", options);
    const workloads = await this.inventory(namespaces, options);
    const pods: Record<string, number> = {};
    const objects: SnapshotObject[] = [];
    for (const w of workloads) {
      pods[w.namespace] = (pods[w.namespace] ?? 0) + w.readyReplicas;
      objects.push({
        kind: w.kind,
        namespace: w.namespace,
        name: w.name,
        status: `${w.readyReplicas}/${w.replicas}`,
      });
    }
    return {
      site: this.name,
      takenAt: this.options.clock.now(),
      namespaces: [...namespaces],
      workloads,
      pods,
      objects,
    };
  }

  async drift(other: SitePort, namespaces: readonly string[], options: RequestOptions = {}): Promise<Drift> {
    const [mine, theirs] = await Promise.all([
      this.inventory(namespaces, options),
      other.inventory(namespaces, options),
    ]);
    const key = (w: WorkloadRef) => keyOf(w);
    const theirsByKey = new Map(theirs.map((w) => [key(w), w]));
    const mineByKey = new Map(mine.map((w) => [key(w), w]));
    const drift: Drift = {
      reference: this.name,
      candidate: other.name,
      missing: [],
      extra: [],
      images: [],
      replicas: [],
    };
    for (const w of mine) {
      const match = theirsByKey.get(key(w));
      if (!match) drift.missing.push(refOf(w));
      else if (match.images.join() !== w.images.join())
        drift.images.push({ workload: refOf(w), reference: w.images, candidate: match.images });
    }
    for (const w of theirs) if (!mineByKey.has(key(w))) drift.extra.push(refOf(w));
    return drift;
  }

  async fence(workloads: readonly WorkloadRef[], options: RequestOptions = {}): Promise<FenceResult> {
    const result: FenceResult = { site: this.name, reachable: true, fenced: [], notFound: [], failed: [] };
    await this.work("fence workloads", options);
    for (const ref of workloads) {
      if (!this.workloads.has(keyOf(ref))) {
        result.notFound.push(ref);
        continue;
      }
      this.setReplicas(ref, 0);
      result.fenced.push(ref);
    }
    return result;
  }

  async applyRunPolicies(
    runId: string,
    policies: readonly { namespace: string; policy: NetworkPolicyShape }[],
    options: RequestOptions = {},
  ): Promise<string[]> {
    await this.work("apply the run's network policies", options);
    const names = policies.map(({ namespace, policy }) => `${namespace}/drbot-${policy.role}-${runId}`);
    const objects = this.runObjects.get(runId) ?? new Set<string>();
    for (const name of names) objects.add(`NetworkPolicy ${name}`);
    this.runObjects.set(runId, objects);
    return names;
  }

  async removeIsolation(runId: string, options: RequestOptions = {}): Promise<number> {
    await this.work("remove the run's network policies", options);
    const objects = this.runObjects.get(runId) ?? new Set<string>();
    const policies = [...objects].filter((o) => o.startsWith("NetworkPolicy "));
    for (const p of policies) objects.delete(p);
    return policies.length;
  }

  async createRunNamespace(runId: string, name: string, options: RequestOptions = {}): Promise<void> {
    await this.work(`create namespace ${name}`, options);
    const objects = this.runObjects.get(runId) ?? new Set<string>();
    objects.add(`Namespace ${name}`);
    this.runObjects.set(runId, objects);
  }

  async listByRunId(runId: string, options: RequestOptions = {}): Promise<string[]> {
    this.check("list the run's objects", options);
    return [...(this.runObjects.get(runId) ?? [])].sort();
  }

  /** Removes the namespace's workloads; false when it had none. */
  async deleteNamespace(name: string, options: NamespaceDeleteOptions): Promise<boolean> {
    await this.work(`delete namespace ${name}`, options);
    const doomed = [...this.workloads.entries()].filter(([, w]) => w.ref.namespace === name);
    for (const [key] of doomed) this.workloads.delete(key);
    let existed = doomed.length > 0;
    for (const objects of this.runObjects.values()) {
      for (const o of [...objects])
        if (o === `Namespace ${name}` || o.startsWith(`NetworkPolicy ${name}/`)) {
          objects.delete(o);
          existed = true;
        }
    }
    return existed;
  }

  /** A change takes `operationMs`; cut short by the signal, it fails as a timeout and changes nothing. */
  private async work(what: string, options: RequestOptions): Promise<void> {
    this.check(what, options);
    if (this.operationMs > 0) await pause(this.operationMs, options.signal);
    this.check(what, options);
  }

  private check(what: string, options: RequestOptions): void {
    if (options.signal?.aborted)
      throw new DrError("timeout", `${what} on ${this.name} was cut short`, {
        reason: "timeout",
        site: this.name,
        operation: what,
      });
  }

  private find(ref: WorkloadRef, what: string): SimulatedWorkload {
    const workload = this.workloads.get(keyOf(ref));
    if (!workload)
      throw new DrError("not_found", `cannot ${what} ${describe(ref)} on ${this.name}: it does not exist`, {
        reason: "not_found",
        site: this.name,
        operation: what,
      });
    return workload;
  }

  /** Scaling down is immediate; scaling up makes one more replica ready every `replicaReadyMs`. */
  private readyOf(workload: SimulatedWorkload, now: number): number {
    if (workload.readyAtChange >= workload.replicas) return workload.replicas;
    const grown = Math.floor((now - workload.changedAt) / this.replicaReadyMs);
    return Math.min(workload.replicas, workload.readyAtChange + grown);
  }

  private stateOf(workload: SimulatedWorkload): WorkloadState {
    const ready = this.readyOf(workload, this.options.clock.now());
    return {
      ...workload.ref,
      replicas: workload.replicas,
      statusReplicas: workload.replicas,
      readyReplicas: ready,
      updatedReplicas: workload.replicas,
      availableReplicas: ready,
      generation: workload.generation,
      observedGeneration: workload.generation,
      images: [...workload.images],
    };
  }
}

const keyOf = (ref: WorkloadRef) => `${ref.kind} ${ref.namespace}/${ref.name}`;
const describe = (ref: WorkloadRef) => `${ref.kind} ${ref.namespace}/${ref.name}`;
const refOf = (w: WorkloadState): WorkloadRef => ({ kind: w.kind, namespace: w.namespace, name: w.name });

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
