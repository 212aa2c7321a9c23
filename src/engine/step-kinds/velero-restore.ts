import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { chooseRestorePoint } from "../../domain/restore-point.js";
import { restoreVerdict } from "../../domain/velero-phases.js";
import type { BackupInfo, RestoreInfo, VeleroPort } from "../../ports/velero.js";
import { defineStepKind, type StepContext } from "../step-kind.js";
import {
  attemptOf,
  stepLabels,
  stepObjectName,
  stepSelector,
  untilAnswered,
  veleroOf,
  watchPhases,
} from "./velero-common.js";

/**
 * Creates a Velero Restore on a site from the newest good backup (of a schedule) or a chosen one,
 * and watches it through every phase until it is terminal. Only Completed succeeds; PartiallyFailed,
 * Failed and FailedValidation fail the step with their counts and reasons, so the run pauses.
 *
 * Not idempotent (a second Restore over a restored namespace is a second restore), but safe to
 * resume: the Restore carries the run, step and attempt; execute adopts one that is running or
 * Completed instead of creating another, and observe reports it.
 */
const params = z
  .object({
    site: nameSchema,
    /** "newest" takes the newest good backup (of the schedule); a name pins one (ransomware). */
    backup: z.union([z.literal("newest"), k8sNameSchema]).default("newest"),
    schedule: k8sNameSchema.optional(),
    namespaces: z.array(k8sNameSchema).default([]),
    veleroNamespace: k8sNameSchema.default("velero"),
  })
  .strict();
type Params = z.output<typeof params>;

export const veleroRestoreStep = defineStepKind<Params>({
  kind: "velero.restore",
  description: "Restores from the newest good Velero backup or a chosen one, watching every phase.",
  params: params as z.ZodType<Params>,
  idempotent: false,
  summarize: (p) =>
    `Velero restore on ${p.site} from ${p.backup === "newest" ? `the newest backup${p.schedule ? ` of ${p.schedule}` : ""}` : `backup ${p.backup}`}${p.namespaces.length ? ` (${p.namespaces.join(", ")})` : ""}`,
  // `/dr failover --backup NAME` replaces "newest"; a backup the runbook names itself stays.
  applyPins: (p, pins) => (pins.backup && p.backup === "newest" ? { ...p, backup: pins.backup } : p),
  async execute(ctx, p) {
    const velero = veleroOf(ctx).velero(p.site, p.veleroNamespace);
    let restore = await adoptable(ctx, velero);
    if (restore) {
      ctx.log(`restore ${restore.name} of this step exists already (${restore.phase || "New"}); watching it`);
    } else {
      const backups = await untilAnswered(ctx, "list backups", () =>
        velero.listBackups({ signal: ctx.signal }),
      );
      const point = chooseRestorePoint(backups, {
        backup: p.backup,
        ...(p.schedule ? { schedule: p.schedule } : {}),
        namespaces: p.namespaces,
        now: ctx.clock.now(),
      });
      if (!point.ok) return { status: "failed", error: `no restore on ${p.site}: ${point.evidence}` };
      const unreadable = await storageProblem(ctx, velero, point.backup);
      if (unreadable) return { status: "failed", error: `no restore on ${p.site}: ${unreadable}` };
      ctx.log(`restoring from ${point.backup.name}: ${point.why}`);
      const restoreSpec = {
        name: stepObjectName(ctx),
        backupName: point.backup.name,
        includedNamespaces: p.namespaces,
        labels: stepLabels(ctx),
      };
      restore = await untilAnswered(ctx, "create the restore", () =>
        velero.createRestore(restoreSpec, { signal: ctx.signal }),
      );
      ctx.log(`created restore ${velero.namespace}/${restore.name} on ${p.site}`);
    }
    const name = restore.name;
    const { verdict } = await watchPhases(
      ctx,
      `restore ${name}`,
      (signal) => velero.getRestore(name, { signal }),
      restoreVerdict,
      (r) => (r.totalItems ? `, ${r.itemsRestored ?? 0}/${r.totalItems} items` : ""),
    );
    return verdict.state === "succeeded"
      ? { status: "succeeded", output: `${verdict.summary} on ${p.site}` }
      : {
          status: "failed",
          error: `${verdict.state === "failed" ? verdict.evidence : verdict.phase} on ${p.site}`,
        };
  },
  async observe(ctx, p) {
    const velero = veleroOf(ctx).velero(p.site, p.veleroNamespace);
    const restores = await velero.listRestores({ signal: ctx.signal, labelSelector: stepSelector(ctx) });
    if (restores.length === 0)
      return { holds: false, evidence: `no restore of this step exists on ${p.site}; it will be created` };
    for (const r of restores) {
      const v = restoreVerdict(r);
      if (v.state === "succeeded") return { holds: true, evidence: `${v.summary} on ${p.site}` };
    }
    const running = restores.find((r) => restoreVerdict(r).state === "running");
    if (running)
      return {
        holds: false,
        evidence: `restore ${running.name} is ${running.phase || "New"} on ${p.site}; the step will watch it, not create another`,
      };
    // Every restore of this step failed: whether to restore again is a person's call.
    const last = newestRestore(restores);
    const v = restoreVerdict(last);
    return { holds: "unknown", evidence: v.state === "failed" ? v.evidence : `restore ${last.name} failed` };
  },
});

/**
 * The Restore this attempt should watch instead of creating one: this attempt's own (a retried
 * request), or an earlier attempt's that is still running or Completed (a takeover after a crash).
 * An earlier attempt's failed Restore is not adopted: retrying after a failure means restoring again.
 */
async function adoptable(ctx: StepContext, velero: VeleroPort): Promise<RestoreInfo | undefined> {
  const restores = await untilAnswered(ctx, "list this step's restores", () =>
    velero.listRestores({ signal: ctx.signal, labelSelector: stepSelector(ctx) }),
  );
  const own = restores.find((r) => attemptOf(r.labels) === ctx.attempt);
  if (own) return own;
  return restores.find((r) => restoreVerdict(r).state !== "failed");
}

function newestRestore(restores: readonly RestoreInfo[]): RestoreInfo {
  return [...restores].sort(
    (a, b) => b.createdAt - a.createdAt || attemptOf(b.labels) - attemptOf(a.labels),
  )[0]!;
}

/**
 * Velero reads the backup's contents from its storage location: when the site's Velero reports that
 * location Unavailable (or has no such location), the Restore would fail anyway, later and with
 * less to go on. Said up front, with Velero's own message.
 */
async function storageProblem(
  ctx: StepContext,
  velero: VeleroPort,
  backup: BackupInfo,
): Promise<string | undefined> {
  const locations = await untilAnswered(ctx, "list storage locations", () =>
    velero.listStorageLocations({ signal: ctx.signal }),
  );
  const wanted = backup.storageLocation;
  const location = wanted ? locations.find((l) => l.name === wanted) : locations.find((l) => l.isDefault);
  if (wanted && !location)
    return `backup ${backup.name} is in storage location ${wanted}, which Velero on ${velero.site} does not have`;
  if (location?.phase === "Unavailable")
    return `storage location ${location.name} is Unavailable${location.message ? ` (${location.message})` : ""}, so Velero cannot read backup ${backup.name}`;
  return undefined;
}
