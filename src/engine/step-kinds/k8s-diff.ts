import { z } from "zod";
import { diffSnapshots } from "../../domain/compare-snapshots.js";
import { nameSchema } from "../../domain/config.js";
import type { Snapshot } from "../../domain/snapshot.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import { snapshotKey } from "./k8s-snapshot.js";

/**
 * Compares two snapshots taken earlier in the run and records the difference. Idempotent.
 * Observable: done once the run has the recorded difference.
 */
const label = z.string().regex(/^[a-z0-9-]{1,40}$/);
const params = z.object({ site: nameSchema, before: label, after: label }).strict();
type Params = z.output<typeof params>;

export const k8sDiffStep = defineStepKind({
  kind: "k8s.diff",
  description: "Compares two snapshots of a run.",
  params,
  siteParams: ["site"],
  idempotent: true,
  readOnly: true,
  summarize: (p) => `diff snapshots ${p.before} → ${p.after} of ${p.site}`,
  async execute(ctx, p) {
    const artifacts = serviceOf(ctx, "artifacts");
    const [a, b] = await Promise.all([
      artifacts.get(ctx.run.id, snapshotKey({ site: p.site, label: p.before })),
      artifacts.get(ctx.run.id, snapshotKey({ site: p.site, label: p.after })),
    ]);
    if (!a || !b)
      return {
        status: "failed",
        error: `snapshot "${a ? p.after : p.before}" of ${p.site} was not taken in this run`,
      };
    const diff = diffSnapshots(JSON.parse(a) as Snapshot, JSON.parse(b) as Snapshot);
    await artifacts.put(ctx.run.id, diffKey(p), JSON.stringify(diff));
    const lines = [
      ...diff.added.map((x) => `+ ${x}`),
      ...diff.removed.map((x) => `- ${x}`),
      ...diff.changed.map((c) => `~ ${c.object}: ${c.field} ${c.before} → ${c.after}`),
      ...diff.runningPods.map((p) => `~ running pods in ${p.namespace}: ${p.before} → ${p.after}`),
    ];
    return { status: "succeeded", output: lines.length ? lines.join("\n") : "no difference" };
  },
  async observe(ctx, p) {
    const recorded = await serviceOf(ctx, "artifacts").get(ctx.run.id, diffKey(p));
    return recorded === undefined
      ? { holds: false, evidence: `no diff ${p.before} → ${p.after} of ${p.site} in this run yet` }
      : { holds: true, evidence: `diff ${p.before} → ${p.after} of ${p.site} recorded` };
  },
});

function diffKey(p: Params): string {
  return `diff:${p.site}:${p.before}:${p.after}`;
}
