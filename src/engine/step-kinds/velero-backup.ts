import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { durationSchema, formatMs } from "../../domain/duration.js";
import type { BackupInfo } from "../../domain/velero.js";
import { backupVerdict } from "../../domain/velero-phases.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import {
  attemptOf,
  stepLabels,
  stepObjectName,
  stepSelector,
  untilAnswered,
  watchPhases,
} from "./velero-common.js";

/**
 * Takes a Velero Backup on demand (before a planned failover, or of DR before a failback) and waits
 * until it is Completed. PartiallyFailed, Failed and FailedValidation fail the step with the counts
 * and reasons. Safe to resume: the Backup carries the run, step and attempt, and a Backup of this
 * step that is running or Completed is watched rather than taken twice.
 */
const params = z
  .object({
    site: nameSchema,
    namespaces: z.array(k8sNameSchema).min(1),
    ttl: durationSchema.default(30 * 86_400_000),
    veleroNamespace: k8sNameSchema.default("velero"),
  })
  .strict();

export const veleroBackupStep = defineStepKind({
  kind: "velero.backup",
  description: "Takes a Velero backup on demand (before a planned failover).",
  params,
  siteParams: ["site"],
  idempotent: false,
  summarize: (p) => `Velero backup of ${p.namespaces.join(", ")} on ${p.site}`,
  async execute(ctx, p) {
    const velero = serviceOf(ctx, "velero").velero(p.site, p.veleroNamespace);
    const existing = await untilAnswered(ctx, "list this step's backups", () =>
      velero.listBackups({ signal: ctx.signal, labelSelector: stepSelector(ctx) }),
    );
    let backup: BackupInfo | undefined =
      existing.find((b) => attemptOf(b.labels) === ctx.attempt) ??
      existing.find((b) => backupVerdict(b).state !== "failed");
    if (backup) {
      ctx.log(`backup ${backup.name} of this step exists already (${backup.phase || "New"}); watching it`);
    } else {
      backup = await velero.createBackup(
        {
          name: stepObjectName(ctx),
          includedNamespaces: p.namespaces,
          ttlMs: p.ttl,
          labels: stepLabels(ctx),
        },
        { signal: ctx.signal },
      );
      ctx.log(
        `created backup ${velero.namespace}/${backup.name} of ${p.namespaces.join(", ")} on ${p.site}, kept ${formatMs(p.ttl)}`,
      );
    }
    const name = backup.name;
    const { object, verdict } = await watchPhases(
      ctx,
      `backup ${name}`,
      (signal) => velero.getBackup(name, { signal }),
      backupVerdict,
    );
    if (verdict.state !== "succeeded")
      return {
        status: "failed",
        error: `${verdict.state === "failed" ? verdict.evidence : verdict.phase} on ${p.site}`,
      };
    const expires = object.expiresAt ? `, expires ${new Date(object.expiresAt).toISOString()}` : "";
    return { status: "succeeded", output: `${verdict.summary} on ${p.site}${expires}` };
  },
  async observe(ctx, p) {
    const velero = serviceOf(ctx, "velero").velero(p.site, p.veleroNamespace);
    const backups = await velero.listBackups({ signal: ctx.signal, labelSelector: stepSelector(ctx) });
    if (backups.length === 0)
      return { holds: false, evidence: `no backup of this step exists on ${p.site}; it will be taken` };
    for (const b of backups) {
      const v = backupVerdict(b);
      if (v.state === "succeeded") return { holds: true, evidence: `${v.summary} on ${p.site}` };
    }
    const running = backups.find((b) => backupVerdict(b).state === "running");
    if (running)
      return {
        holds: false,
        evidence: `backup ${running.name} is ${running.phase || "New"} on ${p.site}; the step will watch it, not take another`,
      };
    const v = backupVerdict(backups[0]!);
    return {
      holds: "unknown",
      evidence: v.state === "failed" ? v.evidence : `backup ${backups[0]!.name} failed`,
    };
  },
});
