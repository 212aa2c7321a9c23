import { basename } from "node:path";
import { z } from "zod";
import { nameSchema } from "../../domain/config.js";
import { needDataSource } from "../../domain/config-needs.js";
import { describeError } from "../../domain/errors.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";

/**
 * Saves an etcd snapshot of a configured source, verifies it, copies it to DR storage, verifies the
 * copy and applies retention (the seed's script 02). Idempotent: another snapshot is harmless.
 * Observable after a crash: the snapshot is tagged with the run and step in its manifest, so a
 * process taking the run over finds it and, if it still verifies, does not take another.
 */
const params = z.object({ source: nameSchema }).strict();

export const etcdSnapshotStep = defineStepKind({
  kind: "etcd.snapshot",
  description: "Saves, verifies, copies and prunes an etcd snapshot.",
  params,
  siteParams: [],
  idempotent: true,
  summarize: (p) => `etcd snapshot of ${p.source}`,
  checkConfig: (p, config) => {
    const needs = needDataSource(config, p.source, "etcd", ["with", "source"]);
    const source = config.dataSources.find((d) => d.name === p.source);
    if (needs.length > 0 || source?.kind !== "etcd" || source.job || source.endpoints) return needs;
    return [
      {
        path: ["with", "source"],
        message: `cannot take a snapshot of "${p.source}": it has neither job (a Job on the site's etcd nodes) nor endpoints (drbot's process with etcd's client certificates)`,
      },
    ];
  },
  async execute(ctx, p) {
    try {
      const report = await serviceOf(ctx, "etcd").take(p.source, {
        signal: ctx.signal,
        timeoutMs: Math.max(1_000, ctx.deadline - ctx.clock.now()),
        tag: { runId: ctx.run.id, stepId: ctx.step.id },
        log: (line) => ctx.log(line),
      });
      const s = report.snapshot;
      const parts = [
        `${basename(s.file)} from ${report.endpoint}: ${s.revision !== undefined ? `revision ${s.revision}, ${s.totalKeys} keys, hash ${s.hash}` : `${s.sizeBytes} bytes, etcd's embedded SHA-256`}, verified`,
        report.savedTo
          ? `saved straight to ${report.savedTo}`
          : report.drCopy
            ? `copied to ${report.drCopy.file} (${report.drCopy.method}) and verified`
            : "no drDir: not copied",
        `${report.removed.length} removed by retention`,
      ];
      if (report.rejected.length > 0)
        parts.push(`${report.rejected.length} file(s) did not verify and are not counted`);
      return { status: "succeeded", output: parts.join("; ") };
    } catch (error) {
      return { status: "failed", error: describeError(error) };
    }
  },
  async observe(ctx, p) {
    const found = await serviceOf(ctx, "etcd").findTagged(
      p.source,
      { runId: ctx.run.id, stepId: ctx.step.id },
      ctx.signal,
    );
    return { holds: found.found, evidence: found.evidence };
  },
});
