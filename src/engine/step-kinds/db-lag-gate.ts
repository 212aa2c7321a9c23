import { z } from "zod";
import { durationSchema, formatMs } from "../../domain/duration.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import { dbSourceParam, describeSource, postgresNeeds, postgresSources, remainingMs } from "./db-common.js";

/**
 * Lets a run go on only while replication lag is at most `max` (by default each source's lagAlert,
 * the seed's 30 s). An unknown lag (a server that does not answer) fails the gate: it is the worst
 * case, and a person decides whether to skip it. Idempotent: it only reads; retries re-read.
 */
const params = z.object({ source: dbSourceParam, max: durationSchema.optional() }).strict();

export const dbLagGateStep = defineStepKind({
  kind: "db.lag-gate",
  description: "Refuses to go on while replication lag is above a limit or unknown.",
  params,
  siteParams: [],
  checkConfig: (p, config) => postgresNeeds(p.source, config),
  idempotent: true,
  readOnly: true,
  summarize: (p) =>
    `replication lag of ${describeSource(p.source)} at most ${p.max === undefined ? "its alert threshold" : formatMs(p.max)}`,
  async execute(ctx, p) {
    const sources = postgresSources(ctx, p.source);
    // Checked before the adapter, so a scope without databases needs no PostgreSQL access at all.
    if (sources.length === 0)
      return { status: "succeeded", output: "no PostgreSQL data source protects the run's applications" };
    const replication = serviceOf(ctx, "replication");
    const refusals: string[] = [];
    for (const source of sources) {
      const max = p.max ?? source.lagAlert;
      const lag = await replication.readLag(source, {
        signal: ctx.signal,
        timeoutMs: Math.min(source.timeout, remainingMs(ctx)),
      });
      ctx.log(`${source.name}: ${lag.detail}`);
      if (lag.lagMs === undefined) refusals.push(`${source.name}: ${lag.detail}`);
      else if (lag.lagMs > max)
        refusals.push(`${source.name}: lag ${formatMs(lag.lagMs)} is above the limit of ${formatMs(max)}`);
    }
    if (refusals.length > 0) return { status: "failed", error: refusals.join("; ") };
    return {
      status: "succeeded",
      output: `replication lag within limits: ${sources.map((s) => s.name).join(", ")}`,
    };
  },
});
