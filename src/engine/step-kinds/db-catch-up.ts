import { z } from "zod";
import { nameSchema } from "../../domain/config.js";
import { assessCatchUp, type CatchUp } from "../../domain/database-server.js";
import { describeError } from "../../domain/errors.js";
import { otherServer } from "../../domain/postgres-source.js";
import type { DatabaseReplication, PostgresSourceConfig } from "../../ports/database-replication.js";
import { abortableDelay, defineStepKind, type StepContext } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import {
  dbSourceParam,
  describeSource,
  postgresServerNeeds,
  postgresSources,
  serverIn,
} from "./db-common.js";

/**
 * Waits until the PostgreSQL server in `site`, a replica, has replayed everything the other server
 * of its pair has written (at most `maxBytes` behind; 0 by default), or fails at the step's deadline
 * with how far behind it still is. Run after db.read-only on the upstream, a 0 means no committed
 * write is missing: the replica may be promoted without losing any. Each reading takes the
 * upstream's position first, then the replica's. Idempotent: it only reads.
 */
const params = z
  .object({
    source: dbSourceParam,
    /** The site of the replica that must catch up. */
    site: nameSchema,
    maxBytes: z.number().int().min(0).default(0),
  })
  .strict();

const POLL_MS = 250;
const REPORT_EVERY_MS = 5_000;
/** Kept back from the step's deadline to report the last reading. */
const RESERVE_MS = 300;
const MIN_READ_MS = 200;

export const dbCatchUpStep = defineStepKind({
  kind: "db.catch-up",
  description: "Waits until a PostgreSQL replica has replayed everything its upstream wrote.",
  params,
  siteParams: ["site"],
  checkConfig: (p, config) => postgresServerNeeds(p.source, p.site, config),
  idempotent: true,
  readOnly: true,
  summarize: (p) =>
    `wait until ${describeSource(p.source)} in ${p.site} has replayed ${p.maxBytes === 0 ? "everything (0 bytes behind)" : `all but ${p.maxBytes} bytes`}`,
  async execute(ctx, p) {
    const sources = postgresSources(ctx, p.source);
    if (sources.length === 0)
      return { status: "succeeded", output: "no PostgreSQL data source protects the run's applications" };
    const replication = serviceOf(ctx, "replication");
    const caughtUp: string[] = [];
    for (const source of sources) {
      const outcome = await waitForCatchUp(ctx, replication, source, p.site, p.maxBytes);
      if (!outcome.caughtUp)
        return {
          status: "failed",
          error: `${source.name}: not caught up by the step's deadline: ${outcome.detail}`,
        };
      caughtUp.push(`${source.name}: ${outcome.detail}`);
    }
    return { status: "succeeded", output: caughtUp.join("\n") };
  },
});

async function waitForCatchUp(
  ctx: StepContext,
  replication: DatabaseReplication,
  source: PostgresSourceConfig,
  site: string,
  maxBytes: number,
): Promise<CatchUp> {
  const downstream = serverIn(ctx.config, source, site);
  const upstream = otherServer(downstream);
  let last: CatchUp = { caughtUp: false, bytesBehind: undefined, detail: "not read yet" };
  let reported = 0;
  for (;;) {
    // Readings end before the step's deadline, so a replica still behind is reported with how far.
    const timeoutMs = Math.min(source.timeout, ctx.deadline - ctx.clock.now() - RESERVE_MS);
    if (timeoutMs < MIN_READ_MS) return last;
    try {
      // The upstream first: what it had written then is what the replica must have replayed.
      const up = await replication.readServer(source, upstream, { signal: ctx.signal, timeoutMs });
      const down = await replication.readServer(source, downstream, { signal: ctx.signal, timeoutMs });
      last = assessCatchUp(up, down, maxBytes);
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      last = { caughtUp: false, bytesBehind: undefined, detail: describeError(error) };
    }
    if (last.caughtUp) return last;
    const now = ctx.clock.now();
    if (now - reported >= REPORT_EVERY_MS) {
      ctx.log(`${source.name}: ${last.detail}`);
      reported = now;
    }
    if (now + POLL_MS + RESERVE_MS + MIN_READ_MS >= ctx.deadline) return last;
    await abortableDelay(POLL_MS, ctx.signal);
  }
}
