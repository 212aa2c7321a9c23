import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";

/**
 * Removes a scratch namespace (the monthly restore test restores an application into one on the DR
 * site). Only names starting with SCRATCH_PREFIX are accepted, and never a namespace an application
 * of the configuration lives in, so no runbook can delete production with it. Waits until the
 * namespace is gone. Idempotent: an absent namespace is already deleted.
 */
export const SCRATCH_PREFIX = "drbot-restore-";

const params = z
  .object({
    site: nameSchema,
    namespace: k8sNameSchema
      .max(63)
      .refine(
        (n) => n.startsWith(SCRATCH_PREFIX),
        `only scratch namespaces (${SCRATCH_PREFIX}…) are deleted`,
      ),
  })
  .strict();

export const k8sDeleteNamespaceStep = defineStepKind({
  kind: "k8s.delete-namespace",
  description: "Deletes a scratch namespace and waits until it is gone.",
  params,
  siteParams: ["site"],
  idempotent: true,
  summarize: (p) => `delete scratch namespace ${p.namespace} on ${p.site}`,
  async execute(ctx, p) {
    if (ctx.config.applications.some((a) => a.namespaces.includes(p.namespace)))
      return {
        status: "failed",
        error: `${p.namespace} belongs to an application; it is not a scratch namespace`,
      };
    const existed = await serviceOf(ctx, "sites")
      .site(p.site)
      .deleteNamespace(p.namespace, { deadline: ctx.deadline, signal: ctx.signal });
    return {
      status: "succeeded",
      output: existed ? `deleted ${p.namespace} on ${p.site}` : `${p.namespace} was not there on ${p.site}`,
    };
  },
});
