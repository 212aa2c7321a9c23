import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { DrError, describeError } from "../../domain/errors.js";
import type { WorkloadKind, WorkloadRef } from "../../domain/workloads.js";
import type { SitePort } from "../../ports/site.js";

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

/**
 * Runs `work` over items at most `limit` at a time; every item is tried. Throws when any failed: the
 * first failure, its message followed by every other one, so none is lost from the step's error.
 */
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
  const [first, ...others] = errors;
  if (errors.length === 0) return;
  if (others.length === 0) throw first;
  const more = `; ${others.length} more failed: ${others.map(describeError).join("; ")}`;
  throw first instanceof DrError
    ? new DrError(first.code, `${first.message}${more}`, { ...first.details }, { cause: first })
    : new DrError("step_failed", `${describeError(first)}${more}`, {}, { cause: first });
}

export function refText(ref: WorkloadRef): string {
  return `${ref.kind.toLowerCase()} ${ref.namespace}/${ref.name}`;
}
