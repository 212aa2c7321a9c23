import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { DrError, describeError, isDrError } from "../../domain/errors.js";
import {
  isLonghornNotInstalled,
  type LonghornPort,
  type LonghornServices,
  type LonghornVolume,
} from "../../ports/longhorn.js";
import { abortableDelay, defineStepKind, type StepContext, type StepResult } from "../step-kind.js";
import {
  describeVolume,
  isActiveAndHealthy,
  preflightProblems,
  type ReadinessRules,
  volumePhase,
} from "./longhorn-readiness.js";

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
 * Idempotent: an active volume is left alone and a volume already activating is only verified, so
 * re-running the step (a retry, a takeover after a crash) never repeats an action blindly. In a drill
 * only the preflight runs: activating would end the DR copy, which a drill must not do.
 */
const params = z
  .object({
    site: nameSchema,
    volumes: z.array(k8sNameSchema).min(1),
    namespace: k8sNameSchema.default("longhorn-system"),
    /** Accept degraded volumes (fewer healthy replicas than asked), for a DR site short of nodes. */
    allowDegraded: z.boolean().default(false),
  })
  .strict();
type Params = z.output<typeof params>;

export const longhornActivateStep = defineStepKind<Params>({
  kind: "longhorn.activate",
  description: "Activates Longhorn DR volumes on the DR site, after a preflight, and verifies them.",
  params: params as z.ZodType<Params>,
  idempotent: true,
  summarize: (p) => `activate Longhorn volumes ${p.volumes.join(", ")} on ${p.site}`,
  async execute(ctx, p) {
    const longhorn = longhornOf(ctx).site(p.site);
    const rules: ReadinessRules = { allowDegraded: p.allowDegraded };
    const read = await readAll(ctx, longhorn, p);
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

    const standby = volumes.filter(({ volume }) => volumePhase(volume) === "standby").map((v) => v.volume);
    if (ctx.mode === "drill")
      return {
        status: "succeeded",
        output: `drill: preflight passed for ${volumes.length} volume(s) on ${p.site}; ${standby.length} left standby (activation cannot be undone)`,
      };

    for (const volume of standby) {
      await activateOne(ctx, longhorn, volume);
      ctx.log(`${volume.name}: activation requested (spec.Standby=false)`);
    }
    return verify(ctx, longhorn, p, rules, standby.length);
  },
  async observe(ctx, p) {
    const longhorn = longhornOf(ctx).site(p.site);
    const rules: ReadinessRules = { allowDegraded: p.allowDegraded };
    try {
      const states = await Promise.all(
        p.volumes.map((name) => longhorn.readVolume(p.namespace, name, { signal: ctx.signal })),
      );
      const missing = p.volumes.filter((_, i) => states[i] === undefined);
      if (missing.length > 0)
        return { holds: false, evidence: `no Longhorn volume ${missing.join(", ")} on ${p.site}` };
      const present = states as LonghornVolume[];
      const pending = present.filter((v) => !isActiveAndHealthy(v, rules));
      return pending.length === 0
        ? { holds: true, evidence: `${present.length} volume(s) already active and healthy on ${p.site}` }
        : { holds: false, evidence: pending.map(describeVolume).join("; ") };
    } catch (error) {
      return { holds: "unknown", evidence: describeError(error) };
    }
  },
});

function longhornOf(ctx: StepContext): LonghornServices {
  const longhorn = ctx.services.longhorn as LonghornServices | undefined;
  if (!longhorn) throw new DrError("unavailable", "this drbot process has no Longhorn sites configured");
  return longhorn;
}

type Read =
  | {
      volumes: {
        volume: LonghornVolume;
        backups: Awaited<ReturnType<LonghornPort["backupStatus"]>>[number];
      }[];
    }
  | { failed: StepResult };

async function readAll(ctx: StepContext, longhorn: LonghornPort, p: Params): Promise<Read> {
  const options = { signal: ctx.signal };
  try {
    const [states, backups] = await Promise.all([
      Promise.all(p.volumes.map((name) => longhorn.readVolume(p.namespace, name, options))),
      longhorn.backupStatus(p.namespace, p.volumes, options),
    ]);
    const missing = p.volumes.filter((_, i) => states[i] === undefined);
    if (missing.length > 0)
      return {
        failed: {
          status: "failed",
          error: `no Longhorn volume ${missing.join(", ")} in ${p.namespace} on ${p.site}; nothing activated`,
        },
      };
    return {
      volumes: (states as LonghornVolume[]).map((volume, i) => ({ volume, backups: backups[i]! })),
    };
  } catch (error) {
    if (isLonghornNotInstalled(error))
      return {
        failed: { status: "failed", error: `Longhorn is not installed on ${p.site}; nothing activated` },
      };
    throw error;
  }
}

/** One activation; on a conflict the volume changed under us: read it again and act on what it is now. */
async function activateOne(ctx: StepContext, longhorn: LonghornPort, volume: LonghornVolume): Promise<void> {
  try {
    await longhorn.activate(volume, { signal: ctx.signal });
  } catch (error) {
    if (!isDrError(error, "conflict")) throw error;
    const now = await longhorn.readVolume(volume.namespace, volume.name, { signal: ctx.signal });
    if (!now)
      throw new DrError("not_found", `Longhorn volume ${volume.namespace}/${volume.name} disappeared`);
    if (volumePhase(now) === "standby") await longhorn.activate(now, { signal: ctx.signal });
  }
}

/** Polls until every volume is active and healthy, or fails with each laggard's state at the deadline. */
async function verify(
  ctx: StepContext,
  longhorn: LonghornPort,
  p: Params,
  rules: ReadinessRules,
  activated: number,
): Promise<StepResult> {
  let delay = 200;
  for (;;) {
    const states = await Promise.all(
      p.volumes.map((name) => longhorn.readVolume(p.namespace, name, { signal: ctx.signal })),
    );
    const pending = states.flatMap((v, i) =>
      v && isActiveAndHealthy(v, rules) ? [] : [v ? describeVolume(v) : `${p.volumes[i]} not found`],
    );
    if (pending.length === 0)
      return {
        status: "succeeded",
        output: `${p.volumes.length} Longhorn volume(s) active and healthy on ${p.site} (${activated} activated now)`,
      };
    if (ctx.clock.now() + delay > ctx.deadline)
      return {
        status: "failed",
        error: `not active and healthy at the deadline on ${p.site}: ${pending.join("; ")}`,
      };
    await abortableDelay(delay, ctx.signal);
    delay = Math.min(delay * 1.5, 1_000);
  }
}
