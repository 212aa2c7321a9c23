import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { durationSchema } from "../../domain/duration.js";
import { type AnyStepKind, defineStepKind, type StepKind } from "../step-kind.js";

/**
 * Step kinds whose parameters are fixed here so runbooks validate today, and whose executors come
 * with their adapters (Velero, Longhorn). Until an adapter registers the
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

const veleroBackup = z
  .object({
    site: nameSchema,
    namespaces: z.array(k8sNameSchema).min(1),
    ttl: durationSchema.default(30 * 86_400_000),
    veleroNamespace: k8sNameSchema.default("velero"),
  })
  .strict();
const veleroRestore = z
  .object({
    site: nameSchema,
    /** "newest" takes the newest Completed backup of the schedule; a name pins one (ransomware). */
    backup: z.union([z.literal("newest"), k8sNameSchema]).default("newest"),
    schedule: k8sNameSchema.optional(),
    namespaces: z.array(k8sNameSchema).default([]),
    veleroNamespace: k8sNameSchema.default("velero"),
    /** Restores each namespace N into PREFIX+N (Velero's namespaceMapping): the monthly restore test. */
    namespacePrefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, "lowercase letters, digits and '-', at most 31")
      .optional(),
  })
  .strict();
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
    "velero.backup",
    "Takes a Velero backup on demand (before a planned failover).",
    veleroBackup,
    false,
    (p) => `Velero backup of ${p.namespaces.join(", ")} on ${p.site}`,
    "Velero",
  ),
  declared(
    "velero.restore",
    "Restores from the newest good Velero backup or a chosen one, watching every phase.",
    veleroRestore,
    false,
    (p) =>
      `Velero restore on ${p.site} from ${p.backup === "newest" ? `the newest backup${p.schedule ? ` of ${p.schedule}` : ""}` : p.backup}`,
    "Velero",
  ),
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
