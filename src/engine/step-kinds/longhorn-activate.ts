import { z } from "zod";
import { nameSchema } from "../../domain/config.js";
import { needAnyDataSources } from "../../domain/config-needs.js";
import { DrError, describeError, isDrError } from "../../domain/errors.js";
import {
  isLonghornNotInstalled,
  type LonghornPort,
  type LonghornVolume,
  type VolumeBackupStatus,
} from "../../ports/longhorn.js";
import { abortableDelay, defineStepKind, type StepContext, type StepResult } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import { inParallel } from "./k8s-common.js";
import { longhornBackupName, untilStepBackupsHere } from "./longhorn-backup.js";
import {
  describeVolume,
  isActiveAndHealthy,
  preflightProblems,
  type ReadinessRules,
  volumePhase,
} from "./longhorn-readiness.js";
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
 * Activates Longhorn DR (standby) volumes on the DR site during a failover, in three stages:
 *
 * 1. preflight, for every volume before any is touched (activation cannot be undone): the volume
 *    exists, has a backup to restore from, is a healthy standby, its restore has not failed and its
 *    backup target is reachable;
 * 2. activate each standby volume (LonghornPort.activate: sync the backup volume, Standby false);
 * 3. verify, until the step's deadline, that Longhorn really finished: not standby any more, nothing
 *    left to restore, robustness healthy.
 *
 * The volumes are named directly (`volumes` in `namespace`) or through the configuration's
 * `longhorn` data sources (`sources`): `"*"` for every Longhorn source protecting the run's
 * applications (the shipped failover runbook), or names, so `sources: "{{app.dataSources}}"` with
 * `forEach: application` works too. Other kinds of source are ignored; no Longhorn source, nothing
 * to activate (and no Longhorn access needed).
 *
 * Idempotent: an active volume is left alone and a volume already activating is only verified, so
 * re-running the step (a retry, a takeover after a crash) never repeats an action blindly. In a drill
 * only the preflight runs: activating would end the DR copy, which a drill must not do.
 */
const params = z
  .object({
    ...volumeParams,
    /** Accept degraded volumes (fewer healthy replicas than asked), for a DR site short of nodes. */
    allowDegraded: z.boolean().default(false),
    /**
     * A longhorn.backup step of this run (a failback's last backup of the other site): activation
     * waits until its backups are here, and a volume counts as activated once it restored them.
     */
    fromStep: nameSchema.optional(),
  })
  .strict()
  .refine(eitherVolumesOrSources, VOLUMES_OR_SOURCES);

export const longhornActivateStep = defineStepKind({
  kind: "longhorn.activate",
  description: "Activates Longhorn DR volumes on the DR site, after a preflight, and verifies them.",
  params,
  siteParams: ["site"],
  idempotent: true,
  checkConfig: (p, config) =>
    Array.isArray(p.sources) ? needAnyDataSources(config, p.sources, ["with", "sources"]) : [],
  summarize: (p) =>
    p.volumes
      ? `activate Longhorn volumes ${p.volumes.join(", ")} on ${p.site}`
      : p.sources === "*"
        ? `activate the Longhorn volumes of the run's applications on ${p.site}`
        : `activate the Longhorn volumes of ${p.sources?.join(", ") || "no source"} on ${p.site}`,
  async execute(ctx, p) {
    const refs = volumesOf(ctx, p);
    if ("failed" in refs) return refs.failed;
    if (refs.length === 0) return { status: "succeeded", output: NOTHING_TO_ACTIVATE };
    const longhorn = serviceOf(ctx, "longhorn").site(p.site);
    const rules: ReadinessRules = { allowDegraded: p.allowDegraded };
    const expected = p.fromStep ? refs.map((r) => longhornBackupName(ctx.run.id, p.fromStep!, r)) : [];
    if (p.fromStep) {
      const arrived = await untilStepBackupsHere(ctx, longhorn, p.site, refs, p.fromStep);
      if ("failed" in arrived) return arrived.failed;
    }
    const read = await readAll(ctx, longhorn, p.site, refs);
    if ("failed" in read) return read.failed;
    const { volumes } = read;

    const problems = volumes.flatMap(({ volume, backups }) =>
      volumePhase(volume) === "active"
        ? []
        : preflightProblems(volume, backups, rules).map((problem) => `${volume.name} ${problem}`),
    );
    for (const { volume } of volumes) ctx.log(describeVolume(volume));
    if (problems.length > 0)
      return {
        status: "failed",
        error: `preflight failed on ${p.site}, no volume activated: ${problems.join("; ")}`,
        output: volumes.map(({ volume }) => describeVolume(volume)).join("\n"),
      };

    const standby = volumes.filter(({ volume }) => volumePhase(volume) === "standby");
    if (ctx.mode === "drill")
      return {
        status: "succeeded",
        output: `drill: preflight passed for ${volumes.length} volume(s) on ${p.site}; ${standby.length} left standby (activation cannot be undone)`,
      };

    // A few at a time: each is three requests, and a failover may activate dozens of volumes.
    await inParallel(standby, LONGHORN_CONCURRENCY, async ({ volume, backups }) => {
      await activateOne(ctx, longhorn, volume, backups, rules);
      ctx.log(`${volume.name}: activation requested (spec.Standby=false)`);
    });
    return verify(ctx, longhorn, p.site, refs, rules, standby.length, expected);
  },
  async observe(ctx, p) {
    const refs = volumesOf(ctx, p);
    if ("failed" in refs) return { holds: "unknown", evidence: refs.failed.error };
    if (refs.length === 0) return { holds: true, evidence: NOTHING_TO_ACTIVATE };
    const longhorn = serviceOf(ctx, "longhorn").site(p.site);
    const rules: ReadinessRules = { allowDegraded: p.allowDegraded };
    try {
      const states = await readVolumes(ctx, longhorn, refs);
      const pending = states.flatMap((v, i) =>
        v && isActiveAndHealthy(v, rules) ? [] : [v ? describeVolume(v) : `${refText(refs[i]!)} not found`],
      );
      return pending.length === 0
        ? { holds: true, evidence: `${refs.length} volume(s) already active and healthy on ${p.site}` }
        : { holds: false, evidence: pending.join("; ") };
    } catch (error) {
      return { holds: "unknown", evidence: describeError(error) };
    }
  },
});

const NOTHING_TO_ACTIVATE = "no Longhorn data source among the step's sources: nothing to activate";

type Read =
  | { volumes: { volume: LonghornVolume; backups: VolumeBackupStatus | undefined }[] }
  | { failed: StepResult };

async function readAll(
  ctx: StepContext,
  longhorn: LonghornPort,
  site: string,
  refs: VolumeRef[],
): Promise<Read> {
  const namespaces = [...new Set(refs.map((r) => r.namespace))];
  try {
    const [states, statuses] = await Promise.all([
      readVolumes(ctx, longhorn, refs),
      Promise.all(
        namespaces.map((ns) =>
          longhorn.backupStatus(
            ns,
            refs.filter((r) => r.namespace === ns).map((r) => r.name),
            { signal: ctx.signal },
          ),
        ),
      ),
    ]);
    const missing = refs.filter((_, i) => states[i] === undefined);
    if (missing.length > 0)
      return {
        failed: {
          status: "failed",
          error: `no Longhorn volume ${missing.map(refText).join(", ")} on ${site}; nothing activated`,
        },
      };
    const backupsOf = (ref: VolumeRef) =>
      statuses[namespaces.indexOf(ref.namespace)]?.find((s) => s.volume === ref.name);
    return {
      volumes: refs.map((ref, i) => ({ volume: states[i] as LonghornVolume, backups: backupsOf(ref) })),
    };
  } catch (error) {
    if (isLonghornNotInstalled(error))
      return {
        failed: { status: "failed", error: `Longhorn is not installed on ${site}; nothing activated` },
      };
    throw error;
  }
}

/**
 * One activation. A conflict means the volume changed since it was read (Longhorn writes its status
 * often, and every write moves the resourceVersion): read it again, stop if someone else activated
 * it, re-check it before acting on the fresh version, and try again a few times, as Longhorn's own
 * API retries on conflict.
 */
async function activateOne(
  ctx: StepContext,
  longhorn: LonghornPort,
  volume: LonghornVolume,
  backups: VolumeBackupStatus | undefined,
  rules: ReadinessRules,
): Promise<void> {
  let current = volume;
  for (let attempt = 1; ; attempt++) {
    try {
      await longhorn.activate(current, { signal: ctx.signal });
      return;
    } catch (error) {
      if (!isDrError(error, "conflict") || attempt >= MAX_ACTIVATE_ATTEMPTS) throw error;
    }
    const now = await longhorn.readVolume(volume.namespace, volume.name, { signal: ctx.signal });
    if (!now)
      throw new DrError("not_found", `Longhorn volume ${volume.namespace}/${volume.name} disappeared`);
    if (volumePhase(now) !== "standby") return;
    const problems = preflightProblems(now, backups, rules);
    if (problems.length > 0)
      throw new DrError("step_failed", `${now.name} ${problems.join("; ")} (found when activating it)`);
    ctx.log(`${now.name}: changed since it was read, activating the new version`);
    current = now;
  }
}

const MAX_ACTIVATE_ATTEMPTS = 5;

/** Polls until every volume is active and healthy, or fails with each laggard's state at the deadline. */
async function verify(
  ctx: StepContext,
  longhorn: LonghornPort,
  site: string,
  refs: readonly VolumeRef[],
  rules: ReadinessRules,
  activated: number,
  expected: readonly string[],
): Promise<StepResult> {
  let delay = 200;
  for (;;) {
    const states = await readVolumes(ctx, longhorn, refs);
    const pending = states.flatMap((v, i) =>
      v && isActiveAndHealthy(v, rules) && (expected[i] === undefined || v.lastBackup === expected[i])
        ? []
        : [v ? describeVolume(v) : `${refText(refs[i]!)} not found`],
    );
    if (pending.length === 0)
      return {
        status: "succeeded",
        output: `${refs.length} Longhorn volume(s) active and healthy on ${site} (${activated} activated now)`,
      };
    if (ctx.clock.now() + delay > ctx.deadline)
      return {
        status: "failed",
        error: `not active and healthy at the deadline on ${site}: ${pending.join("; ")}`,
      };
    await abortableDelay(delay, ctx.signal);
    delay = Math.min(delay * 1.5, 1_000);
  }
}
