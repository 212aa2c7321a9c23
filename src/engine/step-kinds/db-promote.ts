import { z } from "zod";
import { nameSchema } from "../../domain/config.js";
import { describeServerState, isWritable } from "../../domain/database-server.js";
import { describeError } from "../../domain/errors.js";
import type { PostgresServerKey } from "../../domain/postgres-source.js";
import type { PostgresSourceConfig } from "../../ports/database-replication.js";
import { defineStepKind, type StepContext } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import {
  dbSourceParam,
  postgresNeeds,
  postgresServerNeeds,
  postgresSources,
  remainingMs,
  serverIn,
} from "./db-common.js";

/**
 * Makes a PostgreSQL server of each source the writable primary: promotes it (pg_promote) when it
 * is a standby, checks that it has left recovery, and takes off a read-only default drbot set on it
 * earlier (db.read-only). `site` names the server (by default the DR site's, the failover's
 * direction; a failback promotes the primary site's). Not idempotent in PostgreSQL's eyes (a second
 * pg_promote fails), so it always looks first: a server already out of recovery is reported as
 * promoted, and `observe` answers the same question after a crash. The lag just before promotion is
 * logged, as evidence of how much data the failover gave up. Fencing the old primary is the
 * runbook's job, before this step.
 */
const params = z.object({ source: dbSourceParam, site: nameSchema.optional() }).strict();

export const dbPromoteStep = defineStepKind({
  kind: "db.promote",
  description: "Promotes a PostgreSQL server to the writable primary, unless it already is.",
  params,
  siteParams: ["site"],
  checkConfig: (p, config) =>
    p.site === undefined ? postgresNeeds(p.source, config) : postgresServerNeeds(p.source, p.site, config),
  idempotent: false,
  summarize: (p) =>
    p.site === undefined
      ? p.source === "*"
        ? "promote the PostgreSQL replicas of the run's applications"
        : `promote the ${p.source} replica`
      : `promote the ${p.source === "*" ? "PostgreSQL servers of the run's applications" : `${p.source} server`} in ${p.site}`,
  async execute(ctx, p) {
    const sources = postgresSources(ctx, p.source);
    // Checked before the adapter, so a scope without databases needs no PostgreSQL access at all.
    if (sources.length === 0)
      return { status: "succeeded", output: "no PostgreSQL data source protects the run's applications" };
    const replication = serviceOf(ctx, "replication");
    const failures: string[] = [];
    for (const source of sources) {
      const server = serverOf(ctx, source, p.site);
      if (server === "replica") {
        // The failover's direction: how much the primary site had that this server has not.
        const lag = await replication.readLag(source, {
          signal: ctx.signal,
          timeoutMs: Math.min(source.timeout, remainingMs(ctx)),
        });
        ctx.log(`${source.name}: before promotion, ${lag.detail}`);
      }
      try {
        const result = await replication.promote(source, {
          signal: ctx.signal,
          timeoutMs: remainingMs(ctx),
          server,
        });
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
    const readOnly: string[] = [];
    try {
      for (const source of sources) {
        const state = await replication.readServer(source, serverOf(ctx, source, p.site), {
          signal: ctx.signal,
        });
        if (state.inRecovery) still.push(source.name);
        else if (!isWritable(state)) readOnly.push(`${source.name} (${describeServerState(state)})`);
      }
    } catch (error) {
      return { holds: "unknown", evidence: describeError(error) };
    }
    if (still.length > 0) return { holds: false, evidence: `still in recovery: ${still.join(", ")}` };
    if (readOnly.length > 0)
      return { holds: false, evidence: `out of recovery but read-only: ${readOnly.join(", ")}` };
    return { holds: true, evidence: `out of recovery (promoted): ${sources.map((s) => s.name).join(", ")}` };
  },
});

function serverOf(
  ctx: StepContext,
  source: PostgresSourceConfig,
  site: string | undefined,
): PostgresServerKey {
  return site === undefined ? "replica" : serverIn(ctx.config, source, site);
}
