import { z } from "zod";
import { nameSchema } from "../../domain/config.js";
import { type DatabaseServerState, describeServerState } from "../../domain/database-server.js";
import { describeError } from "../../domain/errors.js";
import { otherServer, type PostgresServerKey } from "../../domain/postgres-source.js";
import type { PostgresSourceConfig } from "../../ports/database-replication.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import {
  dbSourceParam,
  describeSource,
  postgresServerNeeds,
  postgresSources,
  readOnlyBeforeIn,
  remainingMs,
  serverIn,
} from "./db-common.js";

/**
 * Takes the writes back on the PostgreSQL server in `site`: the undo of db.read-only, for a run that
 * stopped a serving primary's writes and then ended before DR was promoted. The read-only default
 * db.read-only set goes, so the application's new sessions write again.
 *
 * Never makes two writable servers: before it touches a server it reads the other server of the pair
 * and goes on only when that one answers and is in recovery (a standby). Out of recovery (promoted,
 * by this run or anyone) or unread (down, unreachable, past the deadline), the step fails and the
 * writes stay off: the run's own promotion never started, but someone else may have promoted DR, and
 * a primary left read-only is an outage a person can end in a minute, while two writable servers
 * lose data. The failure names the commands to run by hand once the person has seen DR is still a
 * replica. The other server is asked itself (pg_is_in_recovery()), not the primary's
 * pg_stat_replication: a walsender there outlives a standby promoted behind a network partition
 * until wal_sender_timeout, which is exactly the case to rule out. A server in recovery is a
 * standby: left as it is, the step fails.
 *
 * It takes back only what the run changed: a server db.read-only noted as read-only before the run
 * (in the output of the step it undoes) is left so, and the step says so.
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
    "Takes the writes back on a PostgreSQL server drbot stopped, only while the other one answers as a standby.",
  params,
  siteParams: ["site"],
  checkConfig: (p, config) => postgresServerNeeds(p.source, p.site, config),
  idempotent: true,
  summarize: (p) =>
    `take the writes back on ${describeSource(p.source)} in ${p.site} (only while the other server answers as a standby)`,
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
        const before = readOnlyBeforeIn(ctx.recordedOutput, source.name);
        if (typeof before === "object") {
          ctx.log(
            `${source.name}: left read-only in ${p.site}: it was before this run (set in ${before.readOnly})`,
          );
          continue;
        }
        let peer: DatabaseServerState;
        try {
          peer = await replication.readServer(source, other, { signal: ctx.signal });
        } catch (error) {
          ctx.signal.throwIfAborted();
          failures.push(
            `${source.name}: the other server's role could not be read (${describeError(error)}), so the writes stay off in ${p.site}: it may have been promoted. ${byHand(source, server, other)}`,
          );
          continue;
        }
        if (!peer.inRecovery) {
          failures.push(
            `${source.name}: the other server takes the primary's role (${describeServerState(peer)}): the writes stay off in ${p.site}, or both would take writes`,
          );
          continue;
        }
        ctx.log(`${source.name}: the other server is a standby (${describeServerState(peer)})`);
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

/**
 * What a person runs once they have checked DR is still a replica: the check, then the writes back
 * on this server (host, port and database from the configuration; no password).
 */
function byHand(source: PostgresSourceConfig, server: PostgresServerKey, other: PostgresServerKey): string {
  const psql = (key: PostgresServerKey) =>
    `psql -h ${source[key].host} -p ${source[key].port} -d ${source[key].database}`;
  return `Check that it is still a replica (\`${psql(other)} -Atc "SELECT pg_is_in_recovery()"\` prints t), then give the writes back by hand: \`${psql(server)} -c "ALTER SYSTEM RESET default_transaction_read_only" -c "SELECT pg_reload_conf()"\``;
}
