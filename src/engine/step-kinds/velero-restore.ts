import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { chooseRestorePoint } from "../../domain/restore-point.js";
import { restoreTestObject, sandboxExclusions, sandboxModifiers } from "../../domain/restore-test.js";
import type { BackupInfo, RestoreInfo } from "../../domain/velero.js";
import { backupVerdict, restoreVerdict } from "../../domain/velero-phases.js";
import type { VeleroPort } from "../../ports/velero.js";
import { abortableDelay, defineStepKind, type StepContext } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import {
  attemptOf,
  stepLabels,
  stepObjectName,
  stepSelector,
  untilAnswered,
  watchPhases,
} from "./velero-common.js";
import { judgeRestore } from "./velero-restore-outcome.js";

/**
 * Creates a Velero Restore on a site from the newest good backup (of a schedule) or a chosen one,
 * with an explicit policy for objects that already exist there, and watches it through every phase
 * until it is terminal. Only Completed succeeds, and only without warnings the runbook does not
 * accept; PartiallyFailed, Failed, FailedValidation and unforeseen warnings fail the step with
 * Velero's own errors and warnings (velero-restore-outcome.ts), so the run pauses.
 *
 * Not idempotent (a second Restore over a restored namespace is a second restore), but safe to
 * resume: the Restore carries the run, step and attempt; execute adopts one that is running or
 * Completed without warnings instead of creating another, and observe reports it. Resuming after a
 * failure restores again; skipping the step is how a person accepts a restore's warnings.
 */
const params = z
  .object({
    site: nameSchema,
    /** "newest" takes the newest good backup (of the schedule); a name pins one (ransomware). */
    backup: z.union([z.literal("newest"), k8sNameSchema]).default("newest"),
    schedule: k8sNameSchema.optional(),
    /**
     * Restore the backup an earlier velero.backup step of this run took (failback: back up DR, then
     * restore that on the primary), found by its run and step labels once Velero on this site has
     * synced it from the storage location. Never an older backup in its place.
     */
    fromStep: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, "a step id of this runbook")
      .optional(),
    namespaces: z.array(k8sNameSchema).default([]),
    veleroNamespace: k8sNameSchema.default("velero"),
    /** Restores each namespace N into PREFIX+N (Velero's namespaceMapping): the monthly restore test. */
    namespacePrefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, "lowercase letters, digits and '-', at most 31")
      .optional(),
    /**
     * Objects that exist on the site and differ from the backup: "none" keeps the site's copy (and
     * Velero warns), "update" patches them to the backed-up version (failback: what changed on DR
     * during the outage wins). Velero's own default is "none"; runbooks should say which they mean.
     */
    existingResourcePolicy: z.enum(["none", "update"]).default("none"),
    /**
     * Resources of the backup not to restore, as Velero names them ("pods", "replicasets.apps").
     * A failover leaves out what controllers make again on the site (a Deployment's ReplicaSets
     * and pods): restoring the primary's copies only adds work and stale pods.
     */
    excludeResources: z
      .array(
        z
          .string()
          .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, "a resource name such as pods or replicasets.apps"),
      )
      .default([]),
    /**
     * Warnings the runbook expects, as regular expressions matched against each of Velero's warning
     * lines ("namespace/production: could not restore, …"). Any other warning fails the step.
     */
    acceptWarnings: z
      .array(
        z
          .string()
          .min(1)
          .superRefine((pattern, check) => {
            try {
              new RegExp(pattern);
            } catch (error) {
              check.addIssue({
                code: "custom",
                message: `not a regular expression: ${(error as Error).message}`,
              });
            }
          }),
      )
      .default([]),
    /**
     * A restore test's sandbox (the application's restoreTest): Velero leaves out what it excludes,
     * creates every Deployment and StatefulSet at its replicas and CronJobs and Jobs suspended
     * (resource modifiers, so nothing ever runs at its backed-up replicas), and restores nothing
     * cluster-scoped. Needs namespacePrefix: a sandbox is never an application's namespace.
     */
    sandbox: restoreTestObject.optional(),
  })
  .strict()
  .refine((p) => !p.sandbox || p.namespacePrefix !== undefined, {
    message:
      "a sandbox restore needs a namespacePrefix (it never restores into the application's namespaces)",
    path: ["sandbox"],
  });

export const veleroRestoreStep = defineStepKind({
  kind: "velero.restore",
  description: "Restores from the newest good Velero backup or a chosen one, watching every phase.",
  params,
  siteParams: ["site"],
  idempotent: false,
  summarize: (p) =>
    `Velero restore on ${p.site} from ${
      p.fromStep
        ? `the backup taken by step ${p.fromStep}`
        : p.backup === "newest"
          ? `the newest backup${p.schedule ? ` of ${p.schedule}` : ""}`
          : `backup ${p.backup}`
    }${p.namespaces.length ? ` (${p.namespaces.join(", ")})` : ""}${p.namespacePrefix ? ` into ${p.namespacePrefix}*` : ""}${exclusionsOf(p).length ? ` without ${exclusionsOf(p).join(", ")}` : ""}${p.sandbox ? `, workloads created at ${p.sandbox.replicas} replicas, nothing cluster-scoped` : ""}, existing objects ${p.existingResourcePolicy === "update" ? "updated to the backup" : "kept"}`,
  // `/dr failover --backup NAME` replaces "newest"; a backup the runbook names itself stays.
  applyPins: (p, pins) =>
    pins.backup && p.backup === "newest" && !p.fromStep ? { ...p, backup: pins.backup } : p,
  async execute(ctx, p) {
    const velero = serviceOf(ctx, "velero").velero(p.site, p.veleroNamespace);
    let restore = await adoptable(ctx, velero);
    const accept = p.acceptWarnings.map((pattern) => new RegExp(pattern));
    if (restore) {
      ctx.log(`restore ${restore.name} of this step exists already (${restore.phase || "New"}); watching it`);
    } else {
      let backup = p.backup;
      if (p.fromStep) {
        const taken = await waitForRunBackup(ctx, velero, p.fromStep);
        if (!taken.ok) return { status: "failed", error: `no restore on ${p.site}: ${taken.evidence}` };
        backup = taken.name;
      }
      const backups = await untilAnswered(ctx, "list backups", () =>
        velero.listBackups({ signal: ctx.signal }),
      );
      const point = chooseRestorePoint(backups, {
        backup,
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
        existingResourcePolicy: p.existingResourcePolicy,
        ...(exclusionsOf(p).length ? { excludedResources: exclusionsOf(p) } : {}),
        ...(p.sandbox
          ? { resourceModifiers: sandboxModifiers(p.sandbox), includeClusterResources: false }
          : {}),
        ...(p.namespacePrefix
          ? {
              namespaceMapping: Object.fromEntries(
                p.namespaces.map((ns) => [ns, `${p.namespacePrefix}${ns}`]),
              ),
            }
          : {}),
      };
      restore = await untilAnswered(ctx, "create the restore", () =>
        velero.createRestore(restoreSpec, { signal: ctx.signal }),
      );
      ctx.log(
        `created restore ${velero.namespace}/${restore.name} on ${p.site} (existing objects: ${p.existingResourcePolicy})`,
      );
    }
    const name = restore.name;
    const { object, verdict } = await watchPhases(
      ctx,
      `restore ${name}`,
      (signal) => velero.getRestore(name, { signal }),
      restoreVerdict,
      (r) => (r.totalItems ? `, ${r.itemsRestored ?? 0}/${r.totalItems} items` : ""),
    );
    if (p.sandbox) await dropModifiers(ctx, velero, name);
    return judgeRestore(ctx, velero, object, verdict, accept);
  },
  async observe(ctx, p) {
    const velero = serviceOf(ctx, "velero").velero(p.site, p.veleroNamespace);
    const restores = await velero.listRestores({ signal: ctx.signal, labelSelector: stepSelector(ctx) });
    if (restores.length === 0)
      return { holds: false, evidence: `no restore of this step exists on ${p.site}; it will be created` };
    for (const r of restores) {
      const v = restoreVerdict(r);
      if (v.state !== "succeeded") continue;
      // Completed, but its warnings are judged as execute would: unforeseen ones are a person's call.
      const judged = await judgeRestore(
        ctx,
        velero,
        r,
        v,
        p.acceptWarnings.map((pattern) => new RegExp(pattern)),
      );
      return judged.status === "succeeded"
        ? { holds: true, evidence: judged.output ?? v.summary }
        : { holds: "unknown", evidence: judged.status === "failed" ? judged.error : v.summary };
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

type Params = z.output<typeof params>;

/** What the restore leaves out: the runbook's list and, for a sandbox, what the sandbox excludes. */
function exclusionsOf(p: Params): string[] {
  return [...new Set([...p.excludeResources, ...(p.sandbox ? sandboxExclusions(p.sandbox) : [])])];
}

/**
 * Velero has read the restore's modifiers once it runs; when it is over they are of no more use and
 * are deleted, so nothing labelled with the run is left in Velero's namespace (k8s.verify-clean
 * looks). A failure to delete them is said, not hidden: verify-clean then finds them.
 */
async function dropModifiers(ctx: StepContext, velero: VeleroPort, restore: string): Promise<void> {
  try {
    if (await velero.deleteRestoreModifiers(restore, { signal: ctx.signal }))
      ctx.log(`deleted the restore's resource modifiers (ConfigMap ${velero.namespace}/${restore})`);
  } catch (error) {
    ctx.log(
      `could not delete the restore's resource modifiers (ConfigMap ${velero.namespace}/${restore}): ${(error as Error).message}`,
    );
  }
}

/**
 * The Restore this attempt should watch instead of creating one: this attempt's own (a retried
 * request), or an earlier attempt's that is still running or Completed without warnings (a takeover
 * after a crash). An earlier attempt's failed Restore, or one Completed with warnings that failed the
 * step, is not adopted: retrying after a failure means restoring again.
 */
async function adoptable(ctx: StepContext, velero: VeleroPort): Promise<RestoreInfo | undefined> {
  const restores = await untilAnswered(ctx, "list this step's restores", () =>
    velero.listRestores({ signal: ctx.signal, labelSelector: stepSelector(ctx) }),
  );
  const own = restores.find((r) => attemptOf(r.labels) === ctx.attempt);
  if (own) return own;
  return restores.find((r) => {
    const state = restoreVerdict(r).state;
    return state === "running" || (state === "succeeded" && r.warnings === 0);
  });
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

const SYNC_POLL_MS = 2_000;

/**
 * Waits until the backup step `fromStep` of this run took is on this site and done. Velero brings
 * backups in from the storage location on its sync period (a minute by default), so the backup just
 * taken on the other site may not be here yet; restoring the newest one here instead would quietly
 * restore older data. Gives up, with that evidence, a second before the step's deadline.
 */
async function waitForRunBackup(
  ctx: StepContext,
  velero: VeleroPort,
  fromStep: string,
): Promise<{ ok: true; name: string } | { ok: false; evidence: string }> {
  let told = false;
  for (;;) {
    const backups = await untilAnswered(ctx, `list the backups of step ${fromStep}`, () =>
      velero.listBackups({ signal: ctx.signal, labelSelector: stepSelector(ctx, fromStep) }),
    );
    const done = backups
      .filter((b) => backupVerdict(b).state === "succeeded")
      .sort((a, b) => attemptOf(b.labels) - attemptOf(a.labels))[0];
    if (done) {
      ctx.log(`backup ${done.name} taken by step ${fromStep} is on ${velero.site}`);
      return { ok: true, name: done.name };
    }
    if (ctx.clock.now() + SYNC_POLL_MS + 1_000 > ctx.deadline)
      return {
        ok: false,
        evidence: `the backup taken by step ${fromStep} of this run did not reach ${velero.site} Completed before the step's deadline (${backups.map((b) => `${b.name} ${b.phase || "New"}`).join(", ") || "not synced from the storage location yet"})`,
      };
    if (!told)
      ctx.log(`waiting for Velero on ${velero.site} to bring in the backup taken by step ${fromStep}`);
    told = true;
    await abortableDelay(SYNC_POLL_MS, ctx.signal);
  }
}
