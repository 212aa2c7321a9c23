import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
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
