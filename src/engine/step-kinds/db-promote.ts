import { z } from "zod";
import { describeError } from "../../domain/errors.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import { dbSourceParam, postgresNeeds, postgresSources, remainingMs } from "./db-common.js";

/**
 * Promotes the PostgreSQL replica of each source to primary (pg_promote) and checks that it has left
 * recovery. Not idempotent in PostgreSQL's eyes (a second pg_promote fails), so it always looks
 * first: a replica already out of recovery is reported as promoted and left alone, and `observe`
 * answers the same question after a crash. The lag just before promotion is logged, as evidence of
 * how much data the failover gave up. Fencing the old primary is the runbook's job, before this step.
 */
const params = z.object({ source: dbSourceParam }).strict();

export const dbPromoteStep = defineStepKind({
  kind: "db.promote",
  description: "Promotes the PostgreSQL replica to primary, unless it already is.",
  params,
  siteParams: [],
  checkConfig: (p, config) => postgresNeeds(p.source, config),
  idempotent: false,
  summarize: (p) =>
    p.source === "*"
      ? "promote the PostgreSQL replicas of the run's applications"
      : `promote the ${p.source} replica`,
  async execute(ctx, p) {
    const sources = postgresSources(ctx, p.source);
    // Checked before the adapter, so a scope without databases needs no PostgreSQL access at all.
    if (sources.length === 0)
      return { status: "succeeded", output: "no PostgreSQL data source protects the run's applications" };
    const replication = serviceOf(ctx, "replication");
    const failures: string[] = [];
    for (const source of sources) {
      const lag = await replication.readLag(source, {
        signal: ctx.signal,
        timeoutMs: Math.min(source.timeout, remainingMs(ctx)),
      });
      ctx.log(`${source.name}: before promotion, ${lag.detail}`);
      try {
        const result = await replication.promote(source, { signal: ctx.signal, timeoutMs: remainingMs(ctx) });
        ctx.log(`${source.name}: ${result.detail}`);
        if (!result.promoted) failures.push(`${source.name}: ${result.detail}`);
      } catch (error) {
        failures.push(describeError(error));
      }
    }
    if (failures.length > 0) return { status: "failed", error: failures.join("; ") };
    return { status: "succeeded", output: `promoted: ${sources.map((s) => s.name).join(", ")}` };
  },
  async observe(ctx, p) {
    const sources = postgresSources(ctx, p.source);
    if (sources.length === 0)
      return { holds: true, evidence: "no PostgreSQL data source protects the run's applications" };
    const replication = serviceOf(ctx, "replication");
    const still: string[] = [];
    try {
      for (const source of sources)
        if (await replication.replicaInRecovery(source, { signal: ctx.signal })) still.push(source.name);
    } catch (error) {
      return { holds: "unknown", evidence: describeError(error) };
    }
    return still.length === 0
      ? {
          holds: true,
          evidence: `out of recovery (promoted): ${sources.map((s) => s.name).join(", ") || "none"}`,
        }
      : { holds: false, evidence: `still in recovery: ${still.join(", ")}` };
  },
});
