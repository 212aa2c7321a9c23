import * as k8s from "@kubernetes/client-node";
import type { ResourceModifierRule } from "../../domain/restore-test.js";
import type { FoundGroup } from "../../domain/restore-verification.js";
import { KubeError } from "../kubernetes/kube-error.js";

/**
 * What a sandbox restore needs on the site besides Velero's own objects: the ConfigMap of resource
 * modifiers the Restore names (Velero reads it when the restore starts), and a read of any type of
 * object in a namespace, by name only, to compare what the restore made with what the backup holds.
 */

/** Velero reads the one key of the ConfigMap as its resource modifiers (version v1). */
export function modifiersConfigMap(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  rules: readonly ResourceModifierRule[],
): k8s.V1ConfigMap {
  const document = {
    version: "v1",
    resourceModifierRules: rules.map((r) => ({
      conditions: { groupResource: r.groupResource },
      mergePatches: [{ patchData: JSON.stringify(r.mergePatch) }],
    })),
  };
  return {
    metadata: { name, namespace, labels },
    // JSON is YAML: Velero parses it as the YAML of its documentation.
    data: { "resource-modifiers.yaml": JSON.stringify(document, null, 1) },
  };
}

/** Only the objects' metadata, so a listed Secret's values never leave the API server. */
const METADATA_ONLY = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json";

/** client-node's dynamic client, with its discovery (which resource serves a kind) made usable. */
export class ObjectNames extends k8s.KubernetesObjectApi {
  /**
   * The names of the objects of a kind in a namespace, with the kind's resource name; undefined
   * when the API server serves no such kind. `options` carries the caller's deadline middleware.
   */
  /** The resource serving a kind ("deployments"), from the API server's discovery; undefined when none does. */
  async resourceOf(
    apiVersion: string,
    kind: string,
    options: k8s.ConfigurationOptions,
  ): Promise<{ resource: string; namespaced: boolean } | undefined> {
    const found = await this.resource(apiVersion, kind, this.with(options));
    return found ? { resource: found.name, namespaced: found.namespaced } : undefined;
  }

  /**
   * The names of the objects of a kind in a namespace, with the kind's resource name; undefined
   * when the API server serves no such kind. `options` carries the caller's deadline middleware.
   */
  async names(
    namespace: string,
    apiVersion: string,
    kind: string,
    options: k8s.ConfigurationOptions,
  ): Promise<FoundGroup | undefined> {
    const config = this.with(options);
    const resource = await this.resource(apiVersion, kind, config);
    if (!resource) return undefined;
    if (!resource.namespaced)
      throw new KubeError(
        "invalid",
        { site: "", operation: `list ${kind} in ${namespace}` },
        `${kind} is not a namespaced resource`,
      );
    const list = await this.list(
      apiVersion,
      kind,
      namespace,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      config,
    );
    return {
      resource: resource.name,
      names: list.items.map((o) => o.metadata?.name ?? "").filter((n) => n !== ""),
    };
  }

  /** This client's configuration with the request's middleware (its deadline) and names only. */
  private with(options: k8s.ConfigurationOptions): k8s.Configuration {
    return {
      ...this.configuration,
      middleware: [...this.configuration.middleware, ...(options.middleware ?? []), metadataOnly],
    };
  }
}

const metadataOnly = {
  pre: (ctx: k8s.RequestContext) => {
    if (ctx.getHttpMethod() === k8s.HttpMethod.GET && !ctx.getUrl().match(/\/apis?\/[^/]+(\/[^/]+)?$/))
      ctx.setHeaderParam("Accept", METADATA_ONLY);
    return new k8s.Observable(Promise.resolve(ctx));
  },
  post: (rsp: k8s.ResponseContext) => new k8s.Observable(Promise.resolve(rsp)),
};
