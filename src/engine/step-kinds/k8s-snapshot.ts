import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import type { Snapshot } from "../../domain/snapshot.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";

/**
 * Records a site's state (what `kubectl get all` shows) under a label, for the diff and the report.
 * Idempotent (a second snapshot replaces the first). Observable: taken once the run has the artifact.
 */
const params = z
  .object({
    site: nameSchema,
    namespaces: z.array(k8sNameSchema).default([]),
    label: z.string().regex(/^[a-z0-9-]{1,40}$/),
  })
  .strict();

export const k8sSnapshotStep = defineStepKind({
  kind: "k8s.snapshot",
  description: "Records the state of a site.",
  params,
  siteParams: ["site"],
  idempotent: true,
  readOnly: true,
  summarize: (p) => `snapshot "${p.label}" of ${p.site}`,
  async execute(ctx, p) {
    const snapshot = await serviceOf(ctx, "sites")
      .site(p.site)
      .snapshot(p.namespaces, { signal: ctx.signal });
    await serviceOf(ctx, "artifacts").put(ctx.run.id, snapshotKey(p), JSON.stringify(snapshot));
    return {
      status: "succeeded",
      output: `${snapshot.workloads.length} workloads, ${Object.values(snapshot.pods).reduce((a, b) => a + b, 0)} running pods on ${p.site}`,
    };
  },
  async observe(ctx, p) {
    const recorded = await serviceOf(ctx, "artifacts").get(ctx.run.id, snapshotKey(p));
    if (recorded === undefined)
      return { holds: false, evidence: `no snapshot "${p.label}" of ${p.site} in this run yet` };
    const { takenAt } = JSON.parse(recorded) as Snapshot;
    return {
      holds: true,
      evidence: `snapshot "${p.label}" of ${p.site} recorded at ${new Date(takenAt).toISOString()}`,
    };
  },
});

/** Where a run keeps a snapshot; k8s.diff reads the same keys. */
export function snapshotKey(p: { site: string; label: string }): string {
  return `snapshot:${p.site}:${p.label}`;
}
