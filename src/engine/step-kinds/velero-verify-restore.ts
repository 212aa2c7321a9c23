import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import {
  describeCounts,
  type ExpectedGroup,
  expectedGroups,
  type FoundGroup,
  notExpected,
  verifyRestore,
} from "../../domain/restore-verification.js";
import type { RestoreInfo } from "../../domain/velero.js";
import { restoreVerdict } from "../../domain/velero-phases.js";
import { STEP_LABEL } from "../../ports/velero.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import { attemptOf, runSelector, untilAnswered } from "./velero-common.js";

/**
 * Proves that what this run's restores on a site brought back is what their backups hold: for each
 * restore (the newest attempt of each velero.restore step of the run), the backup's own list of its
 * contents (Velero's BackupResourceList) is compared, type by type and name by name, with the
 * objects in the namespaces the restore wrote to. Types the restore excluded and types Velero never
 * restores are not expected. An object of the backup missing there fails the step, named; the counts
 * per type are its evidence either way. Read-only, so idempotent.
 *
 * It reads the cluster, not Velero's account of the restore: an object Velero reported restored but
 * that is not there (deleted since, refused by an admission webhook after the fact) is missing.
 */
const params = z
  .object({
    site: nameSchema,
    veleroNamespace: k8sNameSchema.default("velero"),
  })
  .strict();

export const veleroVerifyRestoreStep = defineStepKind({
  kind: "velero.verify-restore",
  description: "Compares what the run's restores brought back with what their backups hold.",
  params,
  siteParams: ["site"],
  idempotent: true,
  summarize: (p) => `compare what this run restored on ${p.site} with its backups' contents`,
  async execute(ctx, p) {
    const velero = serviceOf(ctx, "velero").velero(p.site, p.veleroNamespace);
    const all = await untilAnswered(ctx, "list this run's restores", () =>
      velero.listRestores({ signal: ctx.signal, labelSelector: runSelector(ctx) }),
    );
    const restores = newestPerStep(all);
    if (restores.length === 0)
      return { status: "failed", error: `this run restored nothing on ${p.site}: nothing to verify` };
    const failures: string[] = [];
    const evidence: string[] = [];
    for (const restore of restores) {
      const state = restoreVerdict(restore).state;
      if (state !== "succeeded") {
        failures.push(`restore ${restore.name} is ${restore.phase || "New"}, not Completed`);
        continue;
      }
      const contents = await untilAnswered(ctx, `read the contents of backup ${restore.backupName}`, () =>
        velero.backupResourceList(restore.backupName, { signal: ctx.signal }),
      );
      if (!contents) {
        failures.push(`backup ${restore.backupName} has no list of its contents in the storage location`);
        continue;
      }
      const expected = expectedGroups(contents, restore);
      const found = new Map<ExpectedGroup, FoundGroup | undefined>();
      const excluded = restore.excludedResources ?? [];
      for (const group of expected) {
        const served = await velero.resourceOf(group.apiVersion, group.kind, { signal: ctx.signal });
        // What is not expected is not read (a Secret the sandbox left out is never listed).
        found.set(
          group,
          served && notExpected(excluded, served.resource, group.group)
            ? { resource: served.resource, names: [] }
            : await velero.listNamespaced(group.into, group.apiVersion, group.kind, { signal: ctx.signal }),
        );
      }
      const verdict = verifyRestore(expected, found, excluded);
      for (const skipped of verdict.skipped) ctx.log(`not expected: ${skipped}`);
      const counts = `restore ${restore.name} of backup ${restore.backupName}: ${describeCounts(verdict.counts) || "no namespaced objects"}`;
      ctx.log(counts);
      evidence.push(counts);
      if (!verdict.ok)
        failures.push(
          `restore ${restore.name}: ${verdict.missing.length} object(s) of backup ${restore.backupName} not restored: ${verdict.missing.join(", ")}`,
        );
    }
    if (failures.length > 0) return { status: "failed", error: failures.join("; ") };
    return { status: "succeeded", output: `everything the backups hold is restored: ${evidence.join("; ")}` };
  },
});

/** The newest attempt of each step's restore: a retried step's earlier restores are history. */
function newestPerStep(restores: readonly RestoreInfo[]): RestoreInfo[] {
  const byStep = new Map<string, RestoreInfo>();
  for (const r of restores) {
    const step = r.labels[STEP_LABEL] ?? r.name;
    const seen = byStep.get(step);
    if (!seen || attemptOf(r.labels) > attemptOf(seen.labels)) byStep.set(step, r);
  }
  return [...byStep.values()];
}
