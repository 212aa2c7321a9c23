import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { DrError, describeError } from "../../domain/errors.js";
import type { StorageLocationInfo, VeleroPort } from "../../ports/velero.js";
import { defineStepKind, type StepContext, type StepResult } from "../step-kind.js";
import { serviceOf } from "../step-services.js";

/**
 * Makes a site's Velero storage location read-only or read-write. In the strategy both sites share
 * one bucket: the serving site writes its backups there and the other only reads them, so a site
 * that loses the role must stop writing (and stop pruning expired backups) and the one that takes it
 * must start, or the failback's on-demand backup of DR has nowhere to go. Idempotent. An unreachable
 * site (the primary in a disaster) cannot be changed; `whenUnreachable` says whether that fails the
 * step. Observable: the effect holds when the location has the wanted mode.
 *
 * A mode this step changes is marked on the location with the run and the mode it had before, so
 * `accessMode: as-before-run` (the undo) puts back exactly that mode where this run changed it, and
 * leaves a location it did not change as it is.
 */
const params = z
  .object({
    site: nameSchema,
    accessMode: z.enum(["ReadOnly", "ReadWrite", "as-before-run"]),
    location: k8sNameSchema.default("default"),
    veleroNamespace: k8sNameSchema.default("velero"),
    whenUnreachable: z.enum(["continue", "fail"]).default("fail"),
  })
  .strict();

export const veleroStorageLocationStep = defineStepKind({
  kind: "velero.storage-location",
  description: "Makes a site's Velero storage location read-only or read-write.",
  params,
  siteParams: ["site"],
  idempotent: true,
  summarize: (p) =>
    `Velero storage location ${p.location} on ${p.site} ${p.accessMode === "as-before-run" ? "back to its mode before this run (where this run changed it)" : p.accessMode}`,
  async execute(ctx, p) {
    const velero = serviceOf(ctx, "velero").velero(p.site, p.veleroNamespace);
    let current: StorageLocationInfo | undefined;
    try {
      current = await findLocation(velero, p.location, ctx.signal);
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      const note = `${p.site} is unreachable (${describeError(error)}); its storage location ${p.location} could not be set ${p.accessMode}`;
      return p.whenUnreachable === "continue"
        ? { status: "succeeded", output: `${note}; going on as configured` }
        : { status: "failed", error: note };
    }
    if (!current)
      return { status: "failed", error: `Velero on ${p.site} has no storage location ${p.location}` };
    const before = modeOf(current);
    if (p.accessMode === "as-before-run") return putBack(ctx, velero, p.location, current);
    if (before === p.accessMode)
      return {
        status: "succeeded",
        output: `storage location ${p.location} on ${p.site} is ${before} already`,
      };
    const after = await velero.setStorageLocationAccess(p.location, p.accessMode, {
      signal: ctx.signal,
      byRun: { runId: ctx.run.id, before },
    });
    return {
      status: "succeeded",
      output: `storage location ${p.location} on ${p.site}: ${before} → ${modeOf(after)}`,
    };
  },
  async observe(ctx, p) {
    const velero = serviceOf(ctx, "velero").velero(p.site, p.veleroNamespace);
    let current: StorageLocationInfo | undefined;
    try {
      current = await findLocation(velero, p.location, ctx.signal);
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      return { holds: "unknown", evidence: `${p.site} is unreachable: ${describeError(error)}` };
    }
    if (!current)
      return { holds: false, evidence: `Velero on ${p.site} has no storage location ${p.location}` };
    if (p.accessMode === "as-before-run") {
      const ours = current.changedByRun?.runId === ctx.run.id;
      return {
        holds: !ours,
        evidence: `storage location ${p.location} on ${p.site} is ${modeOf(current)}${ours ? `, changed by this run from ${current.changedByRun?.before}` : ", not as this run left it"}`,
      };
    }
    return {
      holds: modeOf(current) === p.accessMode,
      evidence: `storage location ${p.location} on ${p.site} is ${modeOf(current)}`,
    };
  },
});

/** The undo: the mode the location had before this run changed it; one it did not change stays. */
async function putBack(
  ctx: StepContext,
  velero: VeleroPort,
  location: string,
  current: StorageLocationInfo,
): Promise<StepResult> {
  const now = modeOf(current);
  const mark = current.changedByRun;
  if (mark?.runId !== ctx.run.id)
    return {
      status: "succeeded",
      output: `storage location ${location} on ${velero.site} is ${now}, not changed by this run: left as it is`,
    };
  if (mark.before !== "ReadOnly" && mark.before !== "ReadWrite")
    return {
      status: "failed",
      error: `storage location ${location} on ${velero.site}: unknown mode before this run "${mark.before}"`,
    };
  const after = await velero.setStorageLocationAccess(location, mark.before, { signal: ctx.signal });
  return {
    status: "succeeded",
    output: `storage location ${location} on ${velero.site}: ${now} → ${modeOf(after)}, as before this run`,
  };
}

async function findLocation(
  velero: VeleroPort,
  name: string,
  signal: AbortSignal,
): Promise<StorageLocationInfo | undefined> {
  return (await velero.listStorageLocations({ signal })).find((l) => l.name === name);
}

/** Velero's default when the spec says nothing is ReadWrite. */
function modeOf(location: StorageLocationInfo): string {
  return location.accessMode || "ReadWrite";
}

function isUnreachable(error: unknown): boolean {
  const reason = error instanceof DrError ? error.details.reason : undefined;
  return reason === "unreachable" || reason === "timeout";
}
