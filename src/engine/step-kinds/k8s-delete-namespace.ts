import { z } from "zod";
import { type Config, k8sNameSchema, nameSchema } from "../../domain/config.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";

/**
 * Removes a scratch namespace (the monthly restore test restores an application into one on the DR
 * site). Only names starting with SCRATCH_PREFIX are accepted, and never a namespace an application
 * of the configuration lives in, so no runbook can delete production with it. Waits until the
 * namespace is gone. Idempotent: an absent namespace is already deleted.
 */
export const SCRATCH_PREFIX = "drbot-restore-";

/** A scratch namespace's name: drbot-restore-…, at most 63 characters (a namespace's limit). */
export const scratchNamespaceSchema = k8sNameSchema
  .max(63)
  .refine((n) => n.startsWith(SCRATCH_PREFIX), `only scratch namespaces (${SCRATCH_PREFIX}…) are deleted`);

/** Refuses a namespace an application of the configuration lives in, whatever its name. */
export function refuseApplicationNamespace(config: Config, namespace: string): string | undefined {
  const owner = config.applications.find((a) => a.namespaces.includes(namespace));
  return owner
    ? `${namespace} belongs to application ${owner.name}; it is not a scratch namespace`
    : undefined;
}

const params = z
  .object({
    site: nameSchema,
    namespace: scratchNamespaceSchema,
    /**
     * Deletes the namespace only when this run made it (it carries the run's label): a clean-up that
     * runs whatever happened (on failure, on abort) never deletes a namespace another run or a
     * person made, which the run's k8s.sandbox refused to take over.
     */
    ownedByRun: z.boolean().default(false),
  })
  .strict();

export const k8sDeleteNamespaceStep = defineStepKind({
  kind: "k8s.delete-namespace",
  description: "Deletes a scratch namespace and waits until it is gone.",
  params,
  siteParams: ["site"],
  idempotent: true,
  // Deleting only a namespace this run made is a clean-up a restore test runs `always`.
  onlyOwnCleanup: (p) => p.ownedByRun,
  summarize: (p) =>
    `delete scratch namespace ${p.namespace} on ${p.site}${p.ownedByRun ? " if this run made it" : ""}`,
  async execute(ctx, p) {
    const refused = refuseApplicationNamespace(ctx.config, p.namespace);
    if (refused) return { status: "failed", error: refused };
    const site = serviceOf(ctx, "sites").site(p.site);
    if (p.ownedByRun) {
      const made = await site.listByRunId(ctx.run.id, { signal: ctx.signal });
      if (!made.includes(`Namespace ${p.namespace}`))
        return {
          status: "succeeded",
          output: `${p.namespace} on ${p.site} was not made by this run (absent, or another's): left as it is`,
        };
    }
    const existed = await site.deleteNamespace(p.namespace, { deadline: ctx.deadline, signal: ctx.signal });
    return {
      status: "succeeded",
      output: existed ? `deleted ${p.namespace} on ${p.site}` : `${p.namespace} was not there on ${p.site}`,
    };
  },
});
