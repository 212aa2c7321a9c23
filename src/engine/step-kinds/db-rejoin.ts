import { z } from "zod";
import { nameSchema } from "../../domain/config.js";
import { describeServerState } from "../../domain/database-server.js";
import { describeError } from "../../domain/errors.js";
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
 * Makes the PostgreSQL server in `site` a streaming replica of the other server of its pair: the
 * failback's first move for the data (the primary site's old primary follows the DR site's new one,
 * so everything written during the outage flows home), and its last (the DR site's server follows
 * the primary site's again). The server's `rejoin` hook does the host's part: stop it, pg_rewind
 * (or pg_basebackup when rewinding is impossible), start it as a standby; drbot then waits until
 * the other server sees it streaming. Whatever the old primary wrote after the timelines forked is
 * discarded by the rewind (it never reached the other site).
 *
 * Idempotent: a server already streaming from the other is left alone, so a retry or a takeover
 * runs it again safely. In a drill it only reads the server.
 */
const params = z
  .object({
    source: dbSourceParam,
    /** The site whose server becomes the replica. */
    site: nameSchema,
  })
  .strict();

export const dbRejoinStep = defineStepKind({
  kind: "db.rejoin",
  description: "Makes a PostgreSQL server a streaming replica of the other server of its pair.",
  params,
  siteParams: ["site"],
  checkConfig: (p, config) => postgresServerNeeds(p.source, p.site, config),
  idempotent: true,
  summarize: (p) =>
    `make ${describeSource(p.source)} in ${p.site} a replica of the other site's (pg_rewind, else pg_basebackup)`,
  async execute(ctx, p) {
    const sources = postgresSources(ctx, p.source);
    if (sources.length === 0)
      return { status: "succeeded", output: "no PostgreSQL data source protects the run's applications" };
    const replication = serviceOf(ctx, "replication");
    const done: string[] = [];
    for (const source of sources) {
      const server = serverIn(ctx.config, source, p.site);
      if (ctx.mode === "drill") {
        const state = await replication
          .readServer(source, server, { signal: ctx.signal })
          .then(describeServerState, (error: unknown) => `unreadable: ${describeError(error)}`);
        ctx.log(`${source.name}: drill: left as it is (${state})`);
        continue;
      }
      const result = await replication.rejoin(source, server, {
        signal: ctx.signal,
        timeoutMs: remainingMs(ctx),
      });
      if (result.output) ctx.log(result.output);
      done.push(`${source.name}: ${result.detail}`);
    }
    if (ctx.mode === "drill") return { status: "succeeded", output: "drill: no server was changed" };
    return { status: "succeeded", output: done.join("\n") };
  },
});
