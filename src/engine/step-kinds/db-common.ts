import { z } from "zod";
import { type Config, nameSchema } from "../../domain/config.js";
import { needDataSource } from "../../domain/config-needs.js";
import { DrError } from "../../domain/errors.js";
import type { ConfigNeed } from "../../domain/plan.js";
import type { PostgresSourceConfig } from "../../ports/database-replication.js";
import type { StepContext } from "../step-kind.js";

/**
 * A data source name, or "*" for every PostgreSQL source that protects the run's applications, so
 * a shipped runbook can promote whatever the scope needs without naming a site's databases.
 */
export const dbSourceParam = z.union([z.literal("*"), nameSchema]);

/** A named source must be a configured PostgreSQL source; "*" takes whatever protects the scope. */
export function postgresNeeds(source: string, config: Config): ConfigNeed[] {
  return source === "*" ? [] : needDataSource(config, source, "postgres", ["with", "source"]);
}

/** The PostgreSQL sources a step acts on; a named source that is missing or not PostgreSQL is an error. */
export function postgresSources(ctx: StepContext, source: string): PostgresSourceConfig[] {
  const all = ctx.config.dataSources.filter((d): d is PostgresSourceConfig => d.kind === "postgres");
  if (source !== "*") {
    const found = all.find((d) => d.name === source);
    if (!found) {
      const known = all.map((d) => d.name).join(", ") || "none";
      throw new DrError("invalid_input", `no PostgreSQL data source named "${source}"; configured: ${known}`);
    }
    return [found];
  }
  const inScope = new Set(
    ctx.config.applications
      .filter((a) => ctx.scope.applications.includes(a.name))
      .flatMap((a) => a.dataSources),
  );
  return all.filter((d) => inScope.has(d.name));
}

/** The time left before the step's deadline, at least a second so a call can still say why it failed. */
export function remainingMs(ctx: StepContext): number {
  return Math.max(1_000, ctx.deadline - ctx.clock.now());
}

export function describeSource(source: string): string {
  return source === "*" ? "the run's PostgreSQL sources" : source;
}
