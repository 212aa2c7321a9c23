import { z } from "zod";
import { nameSchema } from "../../domain/config.js";
import { describeServerState } from "../../domain/database-server.js";
import { describeError } from "../../domain/errors.js";
import { FENCING_OUTCOMES } from "../../domain/fencing.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import {
  dbSourceParam,
  describeSource,
  isUnreachable,
  noteReadOnlyBefore,
  postgresServerNeeds,
  postgresSources,
  type ReadOnlyBefore,
  readOnlyBeforeIn,
  remainingMs,
  serverIn,
} from "./db-common.js";

/**
 * Stops the writes on the PostgreSQL server in `site` without stopping the server: new
 * transactions are read-only by default (ALTER SYSTEM, kept across a restart) and every other
 * client session is ended, so a transaction begun before cannot commit later. What it leaves is
 * where the WAL stood when writing stopped, which the replica must replay before it is promoted
 * (db.catch-up). Clients that ask for a read-write transaction explicitly are not stopped; the
 * step fails while any write transaction is still open.
 *
 * A server that does not answer cannot be fenced: with `whenUnreachable: continue` the step goes on
 * and says that fencing was not confirmed (the emergency path), otherwise it fails.
 *
 * It notes in its output what each server was before the run changed anything (read-only already,
 * and where that is set, or taking writes; a later attempt keeps the first attempt's note), so its
 * undo (db.read-write) takes back only what the run changed: a server a DBA had made read-only
 * stays so.
 *
 * Idempotent: doing it twice leaves the server as once. In a drill it only reads the server.
 */
const params = z
  .object({
    source: dbSourceParam,
    /** The site whose server stops taking writes (a run's `{{sites.from}}`). */
    site: nameSchema,
    whenUnreachable: z.enum(["fail", "continue"]).default("fail"),
  })
  .strict();

export const dbReadOnlyStep = defineStepKind({
  kind: "db.read-only",
  description: "Stops the writes on a PostgreSQL server: read-only by default, other sessions ended.",
  params,
  siteParams: ["site"],
  checkConfig: (p, config) => postgresServerNeeds(p.source, p.site, config),
  idempotent: true,
  /** Whether the writes were seen stopped on every server (the report lists fencing not confirmed). */
  outcomes: FENCING_OUTCOMES,
  summarize: (p) =>
    `stop the writes on ${describeSource(p.source)} in ${p.site} (read-only, sessions ended)${p.whenUnreachable === "continue" ? ", where it answers" : ""}`,
  async execute(ctx, p) {
    const sources = postgresSources(ctx, p.source);
    if (sources.length === 0)
      return { status: "succeeded", output: "no PostgreSQL data source protects the run's applications" };
    const replication = serviceOf(ctx, "replication");
    const failures: string[] = [];
    const unconfirmed: string[] = [];
    const stopped: string[] = [];
    for (const source of sources) {
      const server = serverIn(ctx.config, source, p.site);
      try {
        if (ctx.mode === "drill") {
          const state = await replication.readServer(source, server, { signal: ctx.signal });
          ctx.log(`${source.name}: drill: left as it is (${describeServerState(state)})`);
          continue;
        }
        // What the server was before the run: noted by an earlier attempt, or read by this one.
        const noted = readOnlyBeforeIn(ctx.recordedOutput, source.name);
        const result = await replication.stopWrites(source, server, {
          signal: ctx.signal,
          timeoutMs: remainingMs(ctx),
        });
        const before: ReadOnlyBefore =
          noted ??
          (ctx.attempt > 1
            ? "unknown"
            : result.readOnlyBefore
              ? { readOnly: result.readOnlyBefore }
              : "took writes");
        ctx.log(noteReadOnlyBefore(source.name, before));
        ctx.log(`${source.name}: ${result.detail}`);
        for (const session of result.ended.slice(0, 20)) ctx.log(`  ended ${session}`);
        for (const session of result.notEnded) ctx.log(`  not ended: ${session}`);
        if (result.writeTransactions > 0)
          failures.push(
            `${source.name}: ${result.writeTransactions} write transaction(s) still open on ${p.site} (sessions drbot may not end?)`,
          );
        else stopped.push(`${source.name} at ${result.lsn}`);
      } catch (error) {
        if (p.whenUnreachable === "continue" && isUnreachable(error)) {
          unconfirmed.push(`${source.name}: ${describeError(error)}`);
          ctx.log(`${source.name}: NOT FENCED, the server did not answer: ${describeError(error)}`);
        } else failures.push(describeError(error));
      }
    }
    if (failures.length > 0) return { status: "failed", error: failures.join("; ") };
    if (ctx.mode === "drill")
      return { status: "succeeded", output: "drill: no server was changed", outcome: "drill" };
    const lines = [
      ...(stopped.length > 0 ? [`writes stopped on ${p.site}: ${stopped.join(", ")}`] : []),
      ...(unconfirmed.length > 0
        ? [`fencing NOT confirmed on ${p.site} for ${unconfirmed.length} source(s); going on as configured`]
        : []),
    ];
    return {
      status: "succeeded",
      output: lines.join("\n"),
      outcome: unconfirmed.length > 0 ? "unconfirmed" : "confirmed",
    };
  },
  async observe(ctx, p) {
    const replication = serviceOf(ctx, "replication");
    const writable: string[] = [];
    try {
      for (const source of postgresSources(ctx, p.source)) {
        const state = await replication.readServer(source, serverIn(ctx.config, source, p.site), {
          signal: ctx.signal,
        });
        if (!state.inRecovery && (!state.readOnly || state.writeTransactions > 0))
          writable.push(describeServerState(state));
      }
    } catch (error) {
      return { holds: "unknown", evidence: describeError(error) };
    }
    return writable.length === 0
      ? { holds: true, evidence: `no server in ${p.site} takes writes` }
      : { holds: false, evidence: `still taking writes: ${writable.join("; ")}` };
  },
});
