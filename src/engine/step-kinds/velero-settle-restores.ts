import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { restoreVerdict } from "../../domain/velero-phases.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import { runSelector, untilAnswered, watchPhases } from "./velero-common.js";

/**
 * Waits until every Restore this run made on a site is over, then deletes their resource modifiers.
 * Velero cannot stop a restore once it runs: a run aborted in the middle of one must let it finish
 * before it deletes the namespaces it restores into, or Velero would create them again (without the
 * run's label, so nothing would remove them). The restore test's undo of its restore step, run before
 * the sandbox's. Idempotent: restores already over are not waited for; modifiers already gone are
 * not deleted again.
 */
const params = z
  .object({
    site: nameSchema,
    veleroNamespace: k8sNameSchema.default("velero"),
  })
  .strict();

export const veleroSettleRestoresStep = defineStepKind({
  kind: "velero.settle-restores",
  description: "Waits until the run's restores on a site are over and removes their resource modifiers.",
  params,
  siteParams: ["site"],
  idempotent: true,
  summarize: (p) => `wait until this run's restores on ${p.site} are over`,
  async execute(ctx, p) {
    const velero = serviceOf(ctx, "velero").velero(p.site, p.veleroNamespace);
    const restores = await untilAnswered(ctx, "list this run's restores", () =>
      velero.listRestores({ signal: ctx.signal, labelSelector: runSelector(ctx) }),
    );
    const ended: string[] = [];
    for (const restore of restores) {
      if (restoreVerdict(restore).state === "running") {
        ctx.log(
          `restore ${restore.name} is ${restore.phase || "New"}; Velero cannot stop it: waiting for its end`,
        );
        const { object } = await watchPhases(
          ctx,
          `restore ${restore.name}`,
          (signal) => velero.getRestore(restore.name, { signal }),
          restoreVerdict,
        );
        ended.push(`${restore.name} ${object.phase}`);
      } else ended.push(`${restore.name} ${restore.phase}`);
      if (await velero.deleteRestoreModifiers(restore.name, { signal: ctx.signal }))
        ctx.log(`deleted the resource modifiers of ${restore.name}`);
    }
    return {
      status: "succeeded",
      output: ended.length
        ? `this run's restores on ${p.site} are over: ${ended.join(", ")}`
        : `this run made no restore on ${p.site}`,
    };
  },
});
