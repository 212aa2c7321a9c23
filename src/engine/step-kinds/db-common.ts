import { z } from "zod";
import { type Config, drSite, nameSchema, primarySite } from "../../domain/config.js";
import { needDataSource } from "../../domain/config-needs.js";
import { DrError } from "../../domain/errors.js";
import type { ConfigNeed } from "../../domain/plan.js";
import {
  type PostgresServerKey,
  type SiteRoles,
  serverAt,
  serverSite,
} from "../../domain/postgres-source.js";
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

export function siteRoles(config: Config): SiteRoles {
  return { primary: primarySite(config).name, dr: drSite(config).name };
}

/** The server of `source` in `site`; DrError invalid_input when the pair has none there. */
export function serverIn(config: Config, source: PostgresSourceConfig, site: string): PostgresServerKey {
  const key = serverAt(source, site, siteRoles(config));
  if (key) return key;
  const sites = siteRoles(config);
  throw new DrError(
    "invalid_input",
    `the PostgreSQL source ${source.name} has no server in ${site} (its servers are in ${serverSite(source, "primary", sites)} and ${serverSite(source, "replica", sites)})`,
  );
}

/**
 * What a step that acts on the server of a site needs: the source(s) to be PostgreSQL and each to
 * have a server in that site. With "*", every PostgreSQL source is checked (any may be in a scope).
 */
export function postgresServerNeeds(source: string, site: string, config: Config): ConfigNeed[] {
  const named = postgresNeeds(source, config);
  if (named.length > 0) return named;
  const sources = config.dataSources.filter(
    (d): d is PostgresSourceConfig => d.kind === "postgres" && (source === "*" || d.name === source),
  );
  return sources
    .filter((d) => serverAt(d, site, siteRoles(config)) === undefined)
    .map((d) => ({
      path: ["with", "site"],
      message: `the PostgreSQL source ${d.name} has no server in ${site}`,
    }));
}

/** A call that could not reach the server (as opposed to one it refused): fencing stays unconfirmed. */
export function isUnreachable(error: unknown): boolean {
  return error instanceof DrError && (error.code === "unavailable" || error.code === "timeout");
}

/**
 * What db.read-only found on a source's server before the run changed anything, as it notes it in
 * its output: read-only already (and where that is set), it took writes, or not known (an earlier
 * attempt, cut short before it noted anything, may have made it read-only itself).
 */
export type ReadOnlyBefore = { readOnly: string } | "took writes" | "unknown";

const NOTE = "before this run: ";

export function noteReadOnlyBefore(source: string, before: ReadOnlyBefore): string {
  if (before === "took writes") return `${NOTE}${source} took writes`;
  if (before === "unknown")
    return `${NOTE}${source} not known (an earlier attempt may have made it read-only): its undo gives the writes back`;
  return `${NOTE}${source} was read-only already (set in ${before.readOnly}): its undo leaves it so`;
}

/** The note db.read-only left for `source` in a step's recorded output, if any. */
export function readOnlyBeforeIn(output: string | undefined, source: string): ReadOnlyBefore | undefined {
  for (const line of (output ?? "").split("\n")) {
    if (!line.startsWith(`${NOTE}${source} `)) continue;
    const rest = line.slice(NOTE.length + source.length + 1);
    if (rest === "took writes") return "took writes";
    if (rest.startsWith("not known")) return "unknown";
    const set = /^was read-only already \(set in (.*)\): its undo leaves it so$/.exec(rest);
    if (set) return { readOnly: set[1]! };
  }
  return undefined;
}
