import { z } from "zod";
import { nameSchema } from "../../domain/config.js";
import { needAnyDataSources } from "../../domain/config-needs.js";
import { DrError, describeError } from "../../domain/errors.js";
import { servedBy, servingSites } from "../../domain/site-state.js";
import type { LonghornBackup, LonghornPort, LonghornVolume } from "../../ports/longhorn.js";
import { abortableDelay, defineStepKind, type StepContext, type StepResult } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import { inParallel } from "./k8s-common.js";
import { longhornBackupName, untilStepBackupsHere } from "./longhorn-backup.js";
import { describeVolume, volumePhase } from "./longhorn-readiness.js";
import {
  eitherVolumesOrSources,
  LONGHORN_CONCURRENCY,
  readVolumes,
  refText,
  VOLUMES_OR_SOURCES,
  type VolumeRef,
  volumeParams,
  volumesOf,
} from "./longhorn-volumes.js";

/**
 * Reverses a site's Longhorn volumes into DR (standby) volumes, Longhorn's disaster-recovery model:
 * a DR volume restores a backup from the backup target and then follows its backup volume's newest
 * backup, until it is activated. In a failback, the primary's volumes become DR volumes of what DR
 * backed up (its activated volumes are the source now), and once the primary serves again, DR's
 * volumes become DR volumes of the primary's backups, as before the outage.
 *
 * For each volume, with the backup to start from (the one the longhorn.backup step `fromStep` of this
 * run took, once Longhorn has brought it in from the target; without fromStep, the newest on the
 * site):
 * - already a DR volume: left as it is, and verified to follow (with fromStep, to have restored that
 *   backup);
 * - active: Longhorn cannot turn an active volume back into a DR volume, so it is deleted (guarded
 *   by the resourceVersion read) and created again as a DR volume of the same name, size, replica
 *   count and data engine. Only once detached: the step waits (to its deadline) until no workload
 *   uses it. What it held after its last backup is gone with it; the output names that backup;
 * - missing: created as a DR volume, its size from the backup.
 *
 * Never on a site that serves any of the run's applications by drbot's record: its volumes are live.
 * Then, until the deadline, every volume must be a DR volume following its backup. In a drill only
 * the checks run. Idempotent: a volume already standby is only verified.
 */
const params = z
  .object({
    ...volumeParams,
    /** A longhorn.backup step of this run: its backups are what the DR volumes start from. */
    fromStep: nameSchema.optional(),
  })
  .strict()
  .refine(eitherVolumesOrSources, VOLUMES_OR_SOURCES);
type Params = z.output<typeof params>;

export const longhornStandbyStep = defineStepKind({
  kind: "longhorn.standby",
  description:
    "Makes a site's Longhorn volumes DR (standby) volumes following the backup target: the replication direction reversed.",
  params,
  siteParams: ["site"],
  idempotent: true,
  checkConfig: (p, config) =>
    Array.isArray(p.sources) ? needAnyDataSources(config, p.sources, ["with", "sources"]) : [],
  summarize: (p) =>
    `make the Longhorn volumes of ${p.volumes ? p.volumes.join(", ") : p.sources === "*" ? "the run's applications" : p.sources?.join(", ") || "no source"} on ${p.site} DR volumes${p.fromStep ? ` of the backups step ${p.fromStep} took` : ""}`,
  async execute(ctx, p) {
    const refs = volumesOf(ctx, p);
    if ("failed" in refs) return refs.failed;
    if (refs.length === 0) return { status: "succeeded", output: NOTHING_TO_REVERSE };
    const live = await servingHere(ctx, p.site);
    if (live.length > 0)
      return {
        status: "failed",
        error: `${p.site} serves ${live.join(", ")}: its volumes are live and are never made standby`,
      };
    const longhorn = serviceOf(ctx, "longhorn").site(p.site);
    const sources = await sourceBackups(ctx, longhorn, p, refs);
    if ("failed" in sources) return sources.failed;
    const volumes = await untilDetached(ctx, longhorn, p.site, refs);
    if ("failed" in volumes) return volumes.failed;
    if (ctx.mode === "drill")
      return {
        status: "succeeded",
        output: `drill: ${refs.length} volume(s) on ${p.site} checked, none changed`,
      };
    const replaced: string[] = [];
    await inParallel(refs, LONGHORN_CONCURRENCY, async (ref) => {
      const i = refs.indexOf(ref);
      const note = await reverseOne(ctx, longhorn, ref, volumes.volumes[i], sources.backups[i]!);
      if (note) replaced.push(note);
    });
    for (const line of replaced) ctx.log(line);
    return untilStandby(ctx, longhorn, p, refs, sources.backups, replaced);
  },
  async observe(ctx, p) {
    const refs = volumesOf(ctx, p);
    if ("failed" in refs) return { holds: "unknown", evidence: refs.failed.error };
    if (refs.length === 0) return { holds: true, evidence: NOTHING_TO_REVERSE };
    const longhorn = serviceOf(ctx, "longhorn").site(p.site);
    try {
      const volumes = await readVolumes(ctx, longhorn, refs);
      const expected = p.fromStep ? refs.map((r) => longhornBackupName(ctx.run.id, p.fromStep!, r)) : [];
      const pending = refs.flatMap((ref, i) =>
        follows(volumes[i], expected[i])
          ? []
          : [volumes[i] ? describeVolume(volumes[i]) : `${refText(ref)} not found`],
      );
      return pending.length === 0
        ? { holds: true, evidence: `${refs.length} volume(s) already DR volumes on ${p.site}` }
        : { holds: false, evidence: pending.join("; ") };
    } catch (error) {
      return { holds: "unknown", evidence: describeError(error) };
    }
  },
});

const NOTHING_TO_REVERSE = "no Longhorn data source among the step's sources: nothing to make standby";

async function servingHere(ctx: StepContext, site: string): Promise<string[]> {
  const serving = servingSites(ctx.config, await serviceOf(ctx, "siteState").current());
  return servedBy(serving, site)
    .map((s) => s.application)
    .filter((a) => ctx.scope.applications.includes(a));
}

/** A DR volume following its backup volume (and, when `expected` is given, having restored it). */
function follows(v: LonghornVolume | undefined, expected: string | undefined): boolean {
  if (!v || volumePhase(v) !== "standby") return false;
  return expected === undefined ? v.lastBackup !== undefined : v.lastBackup === expected;
}

/** Each volume's backup to start from: fromStep's once here, else the newest Completed on the site. */
async function sourceBackups(
  ctx: StepContext,
  longhorn: LonghornPort,
  p: Params,
  refs: readonly VolumeRef[],
): Promise<{ backups: LonghornBackup[] } | { failed: StepResult }> {
  if (p.fromStep) return untilStepBackupsHere(ctx, longhorn, p.site, refs, p.fromStep);
  const found = await Promise.all(
    refs.map(async (ref) => {
      const [status] = await longhorn.backupStatus(ref.namespace, [ref.name], { signal: ctx.signal });
      return status?.newest
        ? longhorn.readBackup(ref.namespace, status.newest.name, { signal: ctx.signal })
        : undefined;
    }),
  );
  const missing = refs.filter((_, i) => found[i]?.state !== "Completed" || !found[i]?.url);
  if (missing.length === 0) return { backups: found as LonghornBackup[] };
  return {
    failed: {
      status: "failed",
      error: `no volume made standby on ${p.site}: no Completed backup of ${missing.map(refText).join(", ")} to restore`,
    },
  };
}

/** The volumes once none is in use: an active volume still attached waits, to the deadline. */
async function untilDetached(
  ctx: StepContext,
  longhorn: LonghornPort,
  site: string,
  refs: readonly VolumeRef[],
): Promise<{ volumes: (LonghornVolume | undefined)[] } | { failed: StepResult }> {
  for (let delay = 500; ; delay = Math.min(delay * 1.5, 5_000)) {
    const volumes = await readVolumes(ctx, longhorn, refs);
    const problems = volumes.flatMap((v) => {
      if (!v) return [];
      const phase = volumePhase(v);
      if (phase === "activating") return [`${v.name} is being activated`];
      return phase === "active" && v.state !== "detached"
        ? [`${v.name} is still ${v.state || "in use"}`]
        : [];
    });
    if (problems.length === 0) return { volumes };
    if (ctx.clock.now() + delay > ctx.deadline)
      return {
        failed: {
          status: "failed",
          error: `no volume made standby on ${site}: ${problems.join("; ")} (its workloads must be scaled down first)`,
        },
      };
    await abortableDelay(delay, ctx.signal);
  }
}

/** Makes one volume a DR volume of `backup`; says what was replaced, if anything. */
async function reverseOne(
  ctx: StepContext,
  longhorn: LonghornPort,
  ref: VolumeRef,
  volume: LonghornVolume | undefined,
  backup: LonghornBackup,
): Promise<string | undefined> {
  if (volume && volumePhase(volume) !== "active") return undefined;
  const standby = {
    namespace: ref.namespace,
    name: ref.name,
    backupVolume: backup.backupVolume || ref.name,
    backupTargetName: volume?.backupTargetName ?? "default",
    fromBackup: backup.url,
    size: volume?.size || backup.volumeSize,
    numberOfReplicas: volume?.numberOfReplicas ?? 3,
    dataEngine: volume?.dataEngine || "v1",
  };
  if (!standby.size)
    throw new DrError("step_failed", `${refText(ref)}: no size known (neither volume nor backup says)`);
  if (volume) {
    await longhorn.deleteVolume(volume, { signal: ctx.signal });
    for (let delay = 200; await longhorn.readVolume(ref.namespace, ref.name, { signal: ctx.signal }); ) {
      if (ctx.clock.now() + delay > ctx.deadline)
        throw new DrError("timeout", `${refText(ref)} was deleted but is still there at the deadline`);
      await abortableDelay(delay, ctx.signal);
      delay = Math.min(delay * 1.5, 2_000);
    }
  }
  await longhorn.createStandby(standby, { signal: ctx.signal });
  return volume
    ? `${refText(ref)}: active volume replaced by a DR volume of backup ${backup.name}` +
        ` (what it held after ${volume.lastBackup ? `its last backup ${volume.lastBackup}` : "its last backup"} is gone with it)`
    : `${refText(ref)}: created as a DR volume of backup ${backup.name}`;
}

async function untilStandby(
  ctx: StepContext,
  longhorn: LonghornPort,
  p: Params,
  refs: readonly VolumeRef[],
  backups: readonly LonghornBackup[],
  replaced: readonly string[],
): Promise<StepResult> {
  const expected = p.fromStep ? backups.map((b) => b.name) : [];
  for (let delay = 200; ; delay = Math.min(delay * 1.5, 2_000)) {
    const volumes = await readVolumes(ctx, longhorn, refs);
    const pending = refs.flatMap((ref, i) =>
      follows(volumes[i], expected[i])
        ? []
        : [volumes[i] ? describeVolume(volumes[i]) : `${refText(ref)} not found`],
    );
    if (pending.length === 0)
      return {
        status: "succeeded",
        output: [
          ...replaced,
          ...volumes.map((v) => describeVolume(v!)),
          `${refs.length} volume(s) on ${p.site} are DR volumes following the backup target`,
        ].join("\n"),
      };
    if (ctx.clock.now() + delay > ctx.deadline)
      return {
        status: "failed",
        error: `not DR volumes at the deadline on ${p.site}: ${pending.join("; ")}`,
      };
    await abortableDelay(delay, ctx.signal);
  }
}
