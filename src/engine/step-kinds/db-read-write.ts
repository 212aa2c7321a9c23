import { z } from "zod";
import { nameSchema } from "../../domain/config.js";
import { describeServerState } from "../../domain/database-server.js";
import { describeError } from "../../domain/errors.js";
import { otherServer } from "../../domain/postgres-source.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import {
  dbSourceParam,
  describeSource,
  postgresServerNeeds,
  postgresSources,
  remainingMs,
  serverIn,
} from "./db-common.js";

/**
 * Takes the writes back on the PostgreSQL server in `site`: the undo of db.read-only, for a run that
 * stopped a serving primary's writes and then ended before DR was promoted. The read-only default
 * db.read-only set goes, so the application's new sessions write again.
 *
 * Never makes two writable servers: before it touches a server it reads the other server of the pair,
 * and when that one is out of recovery (promoted, by this run or anyone) the step fails and the
 * writes stay off. When the other server does not answer its role cannot be read; the step goes on
 * and says so, since the run's own promotion never started (the runbook's `until` withholds this undo
 * once it has) and a site left read-only is an outage drbot would have caused. A server in recovery is
 * a standby: left as it is, the step fails.
 *
 * Idempotent; observable (every server in `site` out of recovery and not read-only). In a drill it
 * only reads.
 */
const params = z
  .object({
    source: dbSourceParam,
    /** The site whose server takes writes again (the failover's `{{sites.from}}`). */
    site: nameSchema,
  })
  .strict();

export const dbReadWriteStep = defineStepKind({
  kind: "db.read-write",
  description:
    "Takes the writes back on a PostgreSQL server drbot stopped, never while the other one is promoted.",
  params,
  siteParams: ["site"],
  checkConfig: (p, config) => postgresServerNeeds(p.source, p.site, config),
  idempotent: true,
  summarize: (p) =>
    `take the writes back on ${describeSource(p.source)} in ${p.site} (never while the other server is promoted)`,
  async execute(ctx, p) {
    const sources = postgresSources(ctx, p.source);
    if (sources.length === 0)
      return { status: "succeeded", output: "no PostgreSQL data source protects the run's applications" };
    const replication = serviceOf(ctx, "replication");
    const failures: string[] = [];
    for (const source of sources) {
      const server = serverIn(ctx.config, source, p.site);
      const other = otherServer(server);
      try {
        if (ctx.mode === "drill") {
          const state = await replication.readServer(source, server, { signal: ctx.signal });
          ctx.log(`${source.name}: drill: left as it is (${describeServerState(state)})`);
          continue;
        }
        try {
          const peer = await replication.readServer(source, other, { signal: ctx.signal });
          if (!peer.inRecovery) {
            failures.push(
              `${source.name}: the other server takes the primary's role (${describeServerState(peer)}): the writes stay off in ${p.site}, or both would take writes`,
            );
            continue;
          }
          ctx.log(`${source.name}: the other server is a standby (${describeServerState(peer)})`);
        } catch (error) {
          ctx.signal.throwIfAborted();
          ctx.log(
            `${source.name}: the other server's role could not be read (${describeError(error)}); this run never promoted it, going on`,
          );
        }
        const result = await replication.resumeWrites(source, server, {
          signal: ctx.signal,
          timeoutMs: remainingMs(ctx),
        });
        ctx.log(`${source.name}: ${result.detail}`);
      } catch (error) {
        failures.push(`${source.name}: ${describeError(error)}`);
      }
    }
    if (failures.length > 0) return { status: "failed", error: failures.join("; ") };
    if (ctx.mode === "drill") return { status: "succeeded", output: "drill: no server was changed" };
    return { status: "succeeded", output: `writes back on in ${p.site}` };
  },
  async observe(ctx, p) {
    const replication = serviceOf(ctx, "replication");
    const notWritable: string[] = [];
    try {
      for (const source of postgresSources(ctx, p.source)) {
        const state = await replication.readServer(source, serverIn(ctx.config, source, p.site), {
          signal: ctx.signal,
        });
        if (state.inRecovery || state.readOnly) notWritable.push(describeServerState(state));
      }
    } catch (error) {
      return { holds: "unknown", evidence: describeError(error) };
    }
    return notWritable.length === 0
      ? { holds: true, evidence: `every server in ${p.site} takes writes` }
      : { holds: false, evidence: `not taking writes: ${notWritable.join("; ")}` };
  },
});
