import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { type AnyStepKind, defineStepKind, type StepKind } from "../step-kind.js";

/**
 * Step kinds whose parameters are fixed here so runbooks validate today, and whose executors come
 * with their adapters (Longhorn). Until an adapter registers the
 * real kind, a run that reaches one of these steps fails it with a clear message and pauses; it
 * never pretends the step happened.
 */
function declared<P extends Record<string, unknown>>(
  kind: string,
  description: string,
  params: z.ZodType<P>,
  idempotent: boolean,
  summarize: (p: P) => string,
  adapter: string,
): StepKind<P> {
  return defineStepKind<P>({
    kind,
    description,
    params,
    idempotent,
    summarize,
    async execute() {
      return {
        status: "failed",
        error: `step kind ${kind} needs the ${adapter} adapter, which this drbot process does not have configured`,
      };
    },
    async observe() {
      return { holds: "unknown", evidence: `the ${adapter} adapter is not configured` };
    },
  });
}

const longhornActivate = z
  .object({
    site: nameSchema,
    volumes: z.array(k8sNameSchema).min(1),
    namespace: k8sNameSchema.default("longhorn-system"),
  })
  .strict();
const backupVerify = z.object({ sources: z.array(nameSchema).default([]) }).strict();

export const declaredStepKinds: AnyStepKind[] = [
  declared(
    "longhorn.activate",
    "Activates Longhorn DR volumes on the DR site.",
    longhornActivate,
    false,
    (p) => `activate Longhorn volumes ${p.volumes.join(", ")} on ${p.site}`,
    "Longhorn",
  ),
  declared(
    "backup.verify",
    "Checks freshness and integrity of every backup source.",
    backupVerify,
    true,
    (p) => `verify backups${p.sources.length ? ` of ${p.sources.join(", ")}` : ""}`,
    "backup",
  ),
];
