import { createHash } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import type { SiteConfig } from "../../domain/config.js";
import { canonicalJson } from "../../domain/plan-hash.js";
import type { CrdState, NamespaceObjects, RoleBindingShape } from "../../domain/readiness/site-objects.js";
import type { NodeState } from "../../domain/site-health.js";
import type { RequestOptions } from "../../ports/site.js";
import type { SiteInventory } from "../../ports/site-inventory.js";
import { cronJobState } from "./cron-jobs.js";
import { KubeError } from "./kube-error.js";
import { loadKubeConfig } from "./load-kube-config.js";
import { podTemplateSpec } from "./pod-template.js";
import { withDeadline } from "./with-deadline.js";
import { nodeState } from "./workload-state.js";

/**
 * What makes the API server answer a list with each object's metadata alone: a Secret's data
 * never leaves the API server, so no value can reach drbot's memory, logs or findings.
 */
const METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

/**
 * The readiness checks' reads of one site on @kubernetes/client-node (src/ports/site-inventory.ts):
 * a namespace is eight lists sent at once (Deployments, StatefulSets, CronJobs, ConfigMaps, Secrets
 * as metadata, ServiceAccounts, Roles, RoleBindings), each with the site's deadline, like every
 * request of KubernetesSite. ConfigMaps leave as a hash of their data and binaryData.
 */
export class KubernetesInventory implements SiteInventory {
  readonly name: string;
  private readonly apps: k8s.AppsV1Api;
  private readonly core: k8s.CoreV1Api;
  private readonly batch: k8s.BatchV1Api;
  private readonly rbac: k8s.RbacAuthorizationV1Api;
  private readonly extensions: k8s.ApiextensionsV1Api;
  private readonly timeoutMs: number;

  /** Throws KubeError (invalid_config) when the kubeconfig or its context cannot be used. */
  constructor(site: SiteConfig, options: { kubeconfigPath?: string; timeoutMs?: number } = {}) {
    this.name = site.name;
    this.timeoutMs = options.timeoutMs ?? site.requestTimeout;
    const kc = loadKubeConfig(site, options);
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.batch = kc.makeApiClient(k8s.BatchV1Api);
    this.rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    this.extensions = kc.makeApiClient(k8s.ApiextensionsV1Api);
  }

  async readNamespace(namespace: string, options?: RequestOptions): Promise<NamespaceObjects> {
    const q = { namespace };
    const [deployments, statefulSets, cronJobs, configMaps, secrets, accounts, roles, bindings] =
      await Promise.all([
        this.request(`list deployments in ${namespace}`, options, (o) =>
          this.apps.listNamespacedDeployment(q, o),
        ),
        this.request(`list statefulsets in ${namespace}`, options, (o) =>
          this.apps.listNamespacedStatefulSet(q, o),
        ),
        this.request(`list cronjobs in ${namespace}`, options, (o) => this.batch.listNamespacedCronJob(q, o)),
        this.request(`list configmaps in ${namespace}`, options, (o) =>
          this.core.listNamespacedConfigMap(q, o),
        ),
        this.request(`list secret names in ${namespace}`, options, (o) =>
          this.core.listNamespacedSecret(q, k8s.setHeaderOptions("Accept", METADATA_ONLY, o)),
        ).then(
          (list) => ({ names: secretNames(this.name, namespace, list) }),
          (error: unknown) => {
            // drbot is given no Secrets right by default (RBAC cannot grant names without values):
            // the drift check says the names were not compared, and compares everything else.
            if (error instanceof KubeError && error.reason === "forbidden")
              return { unread: `drbot may not list Secrets in ${namespace} on ${this.name}` };
            throw error;
          },
        ),
        this.request(`list serviceaccounts in ${namespace}`, options, (o) =>
          this.core.listNamespacedServiceAccount(q, o),
        ),
        this.request(`list roles in ${namespace}`, options, (o) => this.rbac.listNamespacedRole(q, o)),
        this.request(`list rolebindings in ${namespace}`, options, (o) =>
          this.rbac.listNamespacedRoleBinding(q, o),
        ),
      ]);
    const names = (list: { items: { metadata?: k8s.V1ObjectMeta }[] }) =>
      list.items.map((i) => i.metadata?.name ?? "").filter((n) => n !== "");
    return {
      namespace,
      workloads: [
        ...deployments.items.map((d) =>
          podTemplateSpec("Deployment", d.metadata, d.spec?.template.spec, d.spec?.replicas ?? 1),
        ),
        ...statefulSets.items.map((s) =>
          podTemplateSpec("StatefulSet", s.metadata, s.spec?.template.spec, s.spec?.replicas ?? 1),
        ),
        ...cronJobs.items.map((c) =>
          podTemplateSpec("CronJob", c.metadata, c.spec?.jobTemplate.spec?.template.spec, undefined),
        ),
      ],
      cronJobs: cronJobs.items.map(cronJobState),
      configMaps: Object.fromEntries(
        configMaps.items.map((c) => [
          c.metadata?.name ?? "",
          contentHash({ data: c.data, binaryData: c.binaryData }),
        ]),
      ),
      secrets: "names" in secrets ? secrets.names : [],
      ...("unread" in secrets ? { secretsUnread: secrets.unread } : {}),
      serviceAccounts: names(accounts),
      roles: Object.fromEntries(roles.items.map((r) => [r.metadata?.name ?? "", contentHash(r.rules ?? [])])),
      roleBindings: bindings.items.map((b) => roleBindingShape(namespace, b)),
    };
  }

  async listCrds(options?: RequestOptions): Promise<CrdState[]> {
    const list = await this.request("list customresourcedefinitions", options, (o) =>
      this.extensions.listCustomResourceDefinition({}, o),
    );
    return list.items.map((crd) => ({
      name: crd.metadata?.name ?? "",
      served: crd.spec.versions.filter((v) => v.served).map((v) => v.name),
    }));
  }

  async listNodes(options?: RequestOptions): Promise<NodeState[]> {
    const list = await this.request("list nodes", options, (o) => this.core.listNode({}, o));
    return list.items.map(nodeState);
  }

  private request<T>(
    what: string,
    options: RequestOptions | undefined,
    send: (o: k8s.ConfigurationOptions) => Promise<T>,
  ): Promise<T> {
    return withDeadline({ site: this.name, operation: what }, this.timeoutMs, options?.signal, send);
  }
}

/**
 * The Secrets' names, only from a metadata-only answer: an API server (or a proxy before it) that
 * ignored the Accept header sent the values, and they are dropped here unread, with an error.
 */
function secretNames(site: string, namespace: string, list: k8s.V1SecretList): string[] {
  if (list.kind !== "PartialObjectMetadataList")
    throw new KubeError(
      "invalid",
      { site, operation: `list secret names in ${namespace}` },
      `the API server answered with ${list.kind ?? "a list"} instead of metadata only; Secrets are not read in full`,
    );
  // An empty metadata-only list comes with `items: null`.
  return (list.items ?? []).map((i) => i.metadata?.name ?? "").filter((n) => n !== "");
}

function roleBindingShape(namespace: string, b: k8s.V1RoleBinding): RoleBindingShape {
  return {
    name: b.metadata?.name ?? "",
    roleRef: `${b.roleRef.kind}/${b.roleRef.name}`,
    subjects: (b.subjects ?? []).map((s) =>
      s.kind === "ServiceAccount"
        ? `ServiceAccount ${s.namespace ?? namespace}/${s.name}`
        : `${s.kind} ${s.name}`,
    ),
  };
}

/** sha256 of a value as canonical JSON (plan-hash.ts): equal content, equal hash. */
export function contentHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}
