import { z } from "zod";
import { describeVerdict, judgeBackups } from "../../domain/backup-verification.js";
import { nameSchema } from "../../domain/config.js";
import { needAnyDataSources } from "../../domain/config-needs.js";
import { defineStepKind } from "../step-kind.js";

const params = z.object({ sources: z.array(nameSchema).default([]) }).strict();

/**
 * backup.verify: every data source (or the listed ones) has a readable, verified recovery point
 * within the strictest RPO it protects: Velero's newest Completed backup, Longhorn's newest backup
 * per volume, etcd's newest snapshot that passes its integrity checks, replication lag. Read-only,
 * so idempotent and the same in drills. Fails, listing every source with its verdict, when any
 * source is stale, missing or unreadable.
 */
export const backupVerifyStep = defineStepKind({
  kind: "backup.verify",
  description: "Checks freshness and integrity of every backup source against the RPO it protects.",
  params,
  siteParams: [],
  idempotent: true,
  readOnly: true,
  checkConfig: (p, config) => needAnyDataSources(config, p.sources, ["with", "sources"]),
  summarize: (p) => `verify backups${p.sources.length ? ` of ${p.sources.join(", ")}` : " of every source"}`,
  async execute(ctx, p) {
    const readings = ctx.services.backups;
    if (!readings)
      return { status: "failed", error: "no backup readers are configured in this drbot process" };
    const unknown = p.sources.filter((s) => !ctx.config.dataSources.some((d) => d.name === s));
    if (unknown.length > 0)
      return { status: "failed", error: `no data source named ${unknown.join(", ")} in the configuration` };
    const verdicts = judgeBackups(ctx.config, await readings.readRpo(), ctx.clock.now(), p.sources);
    if (verdicts.length === 0) return { status: "succeeded", output: "no data sources are configured" };
    for (const v of verdicts) ctx.log(describeVerdict(v));
    const failed = verdicts.filter((v) => !v.ok);
    const summary = `${verdicts.length - failed.length}/${verdicts.length} sources fresh and verified`;
    return failed.length === 0
      ? { status: "succeeded", output: summary }
      : {
          status: "failed",
          error: `${summary}; failing: ${failed.map((v) => v.source).join(", ")}`,
          output: summary,
        };
  },
});
