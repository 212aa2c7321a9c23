import { createHash } from "node:crypto";
import { z } from "zod";
import { needAnyDataSources } from "../../domain/config-needs.js";
import { describeError } from "../../domain/errors.js";
import type { LonghornBackup, LonghornPort } from "../../ports/longhorn.js";
import { abortableDelay, defineStepKind, type StepContext, type StepResult } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import { inParallel } from "./k8s-common.js";
import { volumePhase } from "./longhorn-readiness.js";
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
 * Backs up Longhorn volumes on a site to its backup target and waits until Longhorn reports each
 * backup Completed. In a failback this is how the data of DR's activated volumes goes home: the
 * primary's standby volumes (longhorn.standby) restore these backups from the same target, and the
 * primary activates from the last one (longhorn.activate with `fromStep`), taken after DR's writes
 * stopped.
 *
 * Each backup (and the snapshot it is taken from) is named from the run, the step and the volume
 * (`longhornBackupName`), so a retry or a takeover finds the backup already taken instead of taking
 * another, and a later step names exactly this backup. A DR (standby) volume has nothing of its own
 * to back up: refused before any backup is taken. A backup Longhorn ends in Error fails the step with
 * Longhorn's words. In a drill nothing is taken.
 */
const params = z.object(volumeParams).strict().refine(eitherVolumesOrSources, VOLUMES_OR_SOURCES);

export const longhornBackupStep = defineStepKind({
  kind: "longhorn.backup",
  description: "Backs up Longhorn volumes on a site to the backup target and waits until each is Completed.",
  params,
  siteParams: ["site"],
  idempotent: true,
  checkConfig: (p, config) =>
    Array.isArray(p.sources) ? needAnyDataSources(config, p.sources, ["with", "sources"]) : [],
  summarize: (p) =>
    p.volumes
      ? `back up Longhorn volumes ${p.volumes.join(", ")} on ${p.site}`
      : `back up the Longhorn volumes of ${p.sources === "*" ? "the run's applications" : p.sources?.join(", ") || "no source"} on ${p.site}`,
  async execute(ctx, p) {
    const refs = volumesOf(ctx, p);
    if ("failed" in refs) return refs.failed;
    if (refs.length === 0) return { status: "succeeded", output: NOTHING_TO_BACK_UP };
    const longhorn = serviceOf(ctx, "longhorn").site(p.site);
    const volumes = await readVolumes(ctx, longhorn, refs);
    const problems = refs.flatMap((ref, i) => {
      const v = volumes[i];
      if (!v) return [`${refText(ref)} not found`];
      return volumePhase(v) === "active"
        ? []
        : [`${refText(ref)} is a DR volume (${volumePhase(v)}), not a source`];
    });
    if (problems.length > 0)
      return { status: "failed", error: `nothing backed up on ${p.site}: ${problems.join("; ")}` };
    if (ctx.mode === "drill")
      return {
        status: "succeeded",
        output: `drill: ${refs.length} volume(s) on ${p.site} would be backed up`,
      };
    await inParallel(refs, LONGHORN_CONCURRENCY, async (ref) => {
      const volume = volumes[refs.indexOf(ref)]!;
      await longhorn.backUp(volume, longhornBackupName(ctx.run.id, ctx.step.id, ref), { signal: ctx.signal });
    });
    return untilCompleted(ctx, longhorn, p.site, refs);
  },
  async observe(ctx, p) {
    const refs = volumesOf(ctx, p);
    if ("failed" in refs) return { holds: "unknown", evidence: refs.failed.error };
    if (refs.length === 0) return { holds: true, evidence: NOTHING_TO_BACK_UP };
    const longhorn = serviceOf(ctx, "longhorn").site(p.site);
    try {
      const backups = await readBackups(ctx, longhorn, refs, ctx.step.id);
      const done = backups.every((b) => b?.state === "Completed");
      return {
        holds: done,
        evidence: refs.map((ref, i) => describeBackup(ref, backups[i])).join("; "),
      };
    } catch (error) {
      return { holds: "unknown", evidence: describeError(error) };
    }
  },
});

const NOTHING_TO_BACK_UP = "no Longhorn data source among the step's sources: nothing to back up";

/**
 * The name of the backup (and its snapshot) a longhorn.backup step takes of one volume in one run:
 * the same on every attempt, and what longhorn.standby and longhorn.activate look for with `fromStep`.
 */
export function longhornBackupName(runId: string, stepId: string, ref: VolumeRef): string {
  const digest = createHash("sha256")
    .update(`${runId}\n${stepId}\n${ref.namespace}\n${ref.name}`)
    .digest("hex");
  return `drbot-${digest.slice(0, 24)}`;
}

export function readBackups(
  ctx: StepContext,
  longhorn: LonghornPort,
  refs: readonly VolumeRef[],
  stepId: string,
): Promise<(LonghornBackup | undefined)[]> {
  return Promise.all(
    refs.map((ref) =>
      longhorn.readBackup(ref.namespace, longhornBackupName(ctx.run.id, stepId, ref), { signal: ctx.signal }),
    ),
  );
}

export function describeBackup(ref: VolumeRef, b: LonghornBackup | undefined): string {
  if (!b) return `${refText(ref)}: no backup yet`;
  const at = b.at === undefined ? "" : ` at ${new Date(b.at).toISOString()}`;
  return `${refText(ref)}: backup ${b.name} ${b.state || "not started"}${at}${b.error ? ` (${b.error})` : ""}`;
}

async function untilCompleted(
  ctx: StepContext,
  longhorn: LonghornPort,
  site: string,
  refs: readonly VolumeRef[],
): Promise<StepResult> {
  for (let delay = 200; ; delay = Math.min(delay * 1.5, 2_000)) {
    const backups = await readBackups(ctx, longhorn, refs, ctx.step.id);
    const failed = backups.filter((b) => b?.state === "Error" || b?.state === "Unknown");
    const lines = refs.map((ref, i) => describeBackup(ref, backups[i]));
    if (failed.length > 0)
      return { status: "failed", error: `Longhorn backup failed on ${site}: ${lines.join("; ")}` };
    if (backups.every((b) => b?.state === "Completed"))
      return { status: "succeeded", output: lines.join("\n") };
    if (ctx.clock.now() + delay > ctx.deadline)
      return { status: "failed", error: `not Completed at the deadline on ${site}: ${lines.join("; ")}` };
    await abortableDelay(delay, ctx.signal);
  }
}

/**
 * Waits (to the step's deadline) until the backups the longhorn.backup step `fromStep` of this run
 * took are on `site` and Completed: on the other site, Longhorn brings them in from the backup
 * target at its next sync.
 */
export async function untilStepBackupsHere(
  ctx: StepContext,
  longhorn: LonghornPort,
  site: string,
  refs: readonly VolumeRef[],
  fromStep: string,
): Promise<{ backups: LonghornBackup[] } | { failed: StepResult }> {
  for (let delay = 500; ; delay = Math.min(delay * 1.5, 5_000)) {
    const backups = await readBackups(ctx, longhorn, refs, fromStep);
    const missing = refs.filter((_, i) => backups[i]?.state !== "Completed" || !backups[i]?.url);
    if (missing.length === 0) return { backups: backups as LonghornBackup[] };
    if (ctx.clock.now() + delay > ctx.deadline)
      return {
        failed: {
          status: "failed",
          error: `the backups step ${fromStep} took are not on ${site} at the deadline: ${refs
            .map((ref, i) => describeBackup(ref, backups[i]))
            .join("; ")} (Longhorn brings backups in from the target at its poll interval)`,
        },
      };
    await abortableDelay(delay, ctx.signal);
  }
}
