import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import type { Snapshot } from "../../ports/site.js";
import { defineStepKind } from "../step-kind.js";
import { artifactsOf, sitesOf } from "./k8s-common.js";

/** Records a site's state (what `kubectl get all` shows) under a label, for the diff and the report. */
const params = z
  .object({
    site: nameSchema,
    namespaces: z.array(k8sNameSchema).default([]),
    label: z.string().regex(/^[a-z0-9-]{1,40}$/),
  })
  .strict();
type Params = z.output<typeof params>;

export const k8sSnapshotStep = defineStepKind<Params>({
  kind: "k8s.snapshot",
  description: "Records the state of a site.",
  params: params as z.ZodType<Params>,
  idempotent: true,
  summarize: (p) => `snapshot "${p.label}" of ${p.site}`,
  async execute(ctx, p) {
    const snapshot = await sitesOf(ctx).site(p.site).snapshot(p.namespaces);
    await artifactsOf(ctx).put(ctx.run.id, `snapshot:${p.site}:${p.label}`, JSON.stringify(snapshot));
    return {
      status: "succeeded",
      output: `${snapshot.workloads.length} workloads, ${Object.values(snapshot.pods).reduce((a, b) => a + b, 0)} running pods on ${p.site}`,
    };
  },
});

export interface SnapshotDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** What differs between two snapshots: workloads added or removed, replicas and images changed. */
export function diffSnapshots(before: Snapshot, after: Snapshot): SnapshotDiff {
  const key = (w: Snapshot["workloads"][number]) => `${w.kind} ${w.namespace}/${w.name}`;
  const a = new Map(before.workloads.map((w) => [key(w), w]));
  const b = new Map(after.workloads.map((w) => [key(w), w]));
  const changed: string[] = [];
  for (const [k, w] of b) {
    const old = a.get(k);
    if (!old) continue;
    if (old.replicas !== w.replicas || old.readyReplicas !== w.readyReplicas)
      changed.push(`${k}: replicas ${old.readyReplicas}/${old.replicas} → ${w.readyReplicas}/${w.replicas}`);
    if (old.images.join(",") !== w.images.join(","))
      changed.push(`${k}: images ${old.images.join(",")} → ${w.images.join(",")}`);
  }
  return {
    added: [...b.keys()].filter((k) => !a.has(k)),
    removed: [...a.keys()].filter((k) => !b.has(k)),
    changed,
  };
}
