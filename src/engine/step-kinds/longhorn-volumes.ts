import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import type { LonghornPort } from "../../ports/longhorn.js";
import type { StepContext } from "../step-kind.js";

/**
 * The volumes a Longhorn step acts on: named directly (`volumes` in `namespace`) or through the
 * configuration's `longhorn` data sources (`sources`): `"*"` for every Longhorn source protecting the
 * run's applications (the shipped runbooks), or names, so `sources: "{{app.dataSources}}"` with
 * `forEach: application` works too. Other kinds of source are ignored; no Longhorn source, nothing
 * to do (and no Longhorn access needed).
 */
export const volumeParams = {
  site: nameSchema,
  volumes: z.array(k8sNameSchema).min(1).optional(),
  namespace: k8sNameSchema.default("longhorn-system"),
  /** Data source names, or "*" for the run's applications' sources; only kind longhorn counts. */
  sources: z.union([z.literal("*"), z.array(nameSchema)]).optional(),
};

export const VOLUMES_OR_SOURCES = {
  message: "give either volumes (and namespace) or sources (names of longhorn data sources)",
};

export const eitherVolumesOrSources = (p: { volumes?: unknown; sources?: unknown }): boolean =>
  (p.volumes === undefined) !== (p.sources === undefined);

export interface VolumeRef {
  namespace: string;
  name: string;
}

type VolumeSelection = Pick<z.output<z.ZodObject<typeof volumeParams>>, "volumes" | "namespace" | "sources">;

/** The volumes named by the parameters, in order, without repeats. */
export function volumesOf(
  ctx: StepContext,
  p: VolumeSelection,
): VolumeRef[] | { failed: { status: "failed"; error: string } } {
  if (p.volumes) return p.volumes.map((name) => ({ namespace: p.namespace, name }));
  const config = ctx.config;
  const names =
    p.sources === "*"
      ? config.applications
          .filter((a) => ctx.scope.applications.includes(a.name))
          .flatMap((a) => a.dataSources)
      : (p.sources ?? []);
  const refs = new Map<string, VolumeRef>();
  for (const name of names) {
    const source = config.dataSources.find((s) => s.name === name);
    if (!source) return { failed: { status: "failed", error: `no data source named "${name}"` } };
    if (source.kind !== "longhorn") continue;
    for (const volume of source.volumes)
      refs.set(`${source.namespace}/${volume}`, { namespace: source.namespace, name: volume });
  }
  return [...refs.values()];
}

export const refText = (ref: VolumeRef): string => `${ref.namespace}/${ref.name}`;

export function readVolumes(ctx: StepContext, longhorn: LonghornPort, refs: readonly VolumeRef[]) {
  return Promise.all(refs.map((r) => longhorn.readVolume(r.namespace, r.name, { signal: ctx.signal })));
}

/** Longhorn steps act a few volumes at a time: each is several requests, and a site may have dozens. */
export const LONGHORN_CONCURRENCY = 5;
