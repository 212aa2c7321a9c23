import { z } from "zod";
import { nameSchema } from "../../domain/config.js";
import { describeServerState } from "../../domain/database-server.js";
import { describeError } from "../../domain/errors.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import { dbSourceParam, postgresServerNeeds, postgresSources, serverIn } from "./db-common.js";

/**
 * Decides which path a run takes: `reachable` when the site's API server answers with nodes Ready
 * and every PostgreSQL server the run's data sources have there answers too, `unreachable`
 * otherwise, with what did not answer. Later steps name the decision in their `when` (the failover's
 * planned switchover runs only when the primary is reachable, its emergency fencing only when it is
 * not); it is recorded on the step, so the run keeps the path it chose after a takeover.
 *
 * It never fails for a site that does not answer: that is an answer. Each call has the site's or
 * the source's deadline, so a hung API server is decided `unreachable` in bounded time. Idempotent
 * and not observed: a run taken over while probing probes again.
 */
const params = z
  .object({
    site: nameSchema,
    /** PostgreSQL sources whose server in `site` must answer too ("*": the run's; "none": no database). */
    databases: z.union([dbSourceParam, z.literal("none")]).default("*"),
  })
  .strict();

export const SITE_PROBE_OUTCOMES = ["reachable", "unreachable"] as const;

export const siteProbeStep = defineStepKind({
  kind: "site.probe",
  description:
    "Decides whether a site answers (its API server, nodes and databases): reachable or unreachable.",
  params,
  siteParams: ["site"],
  outcomes: SITE_PROBE_OUTCOMES,
  checkConfig: (p, config) =>
    p.databases === "none" ? [] : postgresServerNeeds(p.databases, p.site, config),
  idempotent: true,
  readOnly: true,
  summarize: (p) =>
    `decide whether ${p.site} answers (API server, nodes${p.databases === "none" ? "" : ", databases"}): reachable or unreachable`,
  async execute(ctx, p) {
    const missing: string[] = [];
    const health = await serviceOf(ctx, "sites").site(p.site).health({ signal: ctx.signal });
    if (!health.reachable) missing.push(`API server: ${health.error?.message ?? "no answer"}`);
    else if (!health.ready)
      missing.push(
        `not ready (${health.readyNodes} node(s) Ready, /readyz ${health.apiReady ? "ok" : "failing"})`,
      );
    else ctx.log(`${p.site}: API server answers, ${health.readyNodes} node(s) Ready`);
    const sources = p.databases === "none" ? [] : postgresSources(ctx, p.databases);
    if (sources.length > 0) {
      const replication = serviceOf(ctx, "replication");
      for (const source of sources) {
        const server = serverIn(ctx.config, source, p.site);
        try {
          const state = await replication.readServer(source, server, { signal: ctx.signal });
          ctx.log(`${source.name} in ${p.site}: ${describeServerState(state)}`);
        } catch (error) {
          missing.push(`${source.name}: ${describeError(error)}`);
        }
      }
    }
    if (missing.length === 0)
      return { status: "succeeded", outcome: "reachable", output: `${p.site} answers: reachable` };
    return {
      status: "succeeded",
      outcome: "unreachable",
      output: `${p.site} does not answer: unreachable (${missing.join("; ")})`,
    };
  },
});
