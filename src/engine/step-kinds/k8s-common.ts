import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { DrError } from "../../domain/errors.js";
import type { WorkloadKind, WorkloadRef } from "../../domain/workloads.js";
import type { ArtifactStore } from "../../ports/artifact-store.js";
import type { KubernetesServices, SitePort } from "../../ports/site.js";
import type { StepContext } from "../step-kind.js";

export function sitesOf(ctx: StepContext): KubernetesServices {
  const sites = ctx.services.sites as KubernetesServices | undefined;
  if (!sites) throw new DrError("unavailable", "this drbot process has no Kubernetes sites configured");
  return sites;
}

export function artifactsOf(ctx: StepContext): ArtifactStore {
  const artifacts = ctx.services.artifacts as ArtifactStore | undefined;
  if (!artifacts) throw new DrError("unavailable", "this drbot process has no artifact store");
  return artifacts;
}

export const workloadTarget = {
  site: nameSchema,
  kind: z.enum(["Deployment", "StatefulSet"]).default("Deployment"),
  namespace: k8sNameSchema,
  name: z.union([k8sNameSchema, z.literal("*")]),
};

/** Resolves "*" to every workload of that kind in the namespace, like `kubectl scale --all`. */
export async function resolveTargets(
  site: SitePort,
  target: { kind: WorkloadKind; namespace: string; name: string },
): Promise<WorkloadRef[]> {
  if (target.name !== "*") return [{ kind: target.kind, namespace: target.namespace, name: target.name }];
  const all = await site.listWorkloads(target.kind, target.namespace);
  return all.map((w) => ({ kind: w.kind, namespace: w.namespace, name: w.name }));
}

/** Runs `work` over items at most `limit` at a time; the first failure wins, others still settle. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

export function refText(ref: WorkloadRef): string {
  return `${ref.kind.toLowerCase()} ${ref.namespace}/${ref.name}`;
}
