import { z } from "zod";
import { envVarName, nameSchema } from "./config-names.js";
import { durationSchema } from "./duration.js";

/**
 * A replicated PostgreSQL pair as the configuration describes it: one server in the primary site
 * (`primary`) and one in the DR site (`replica`). The keys name where each server lives, not what it
 * is now: after a failover the DR site's server is the one taking writes, and the failback makes the
 * primary site's server a replica of it for a while. Steps name a server by its site.
 *
 * drbot does not run next to the databases. What SQL can do (read positions, make a server
 * read-only, end sessions, promote) it does over the network as its own user. What needs the
 * server's host (stopping it, pg_rewind, pg_basebackup, starting it as a standby) goes through the
 * server's `rejoin` hook: a program run without a shell, such as `kubectl exec` into the database
 * pod or `ssh` to its host, that runs deploy/postgres/drbot-pg-rejoin (or the operator's own tool)
 * there.
 */

/** Placeholders a rejoin hook's arguments may use; each is replaced inside one argument, never split. */
export const REJOIN_PLACEHOLDERS = ["upstream.host", "upstream.port", "applicationName"] as const;

const rejoinHookSchema = z
  .object({
    /** A program name or path, run without a shell (execa with an argument array). */
    command: z
      .string()
      .regex(/^[A-Za-z0-9_./+-]+$/, "a program name or path, without spaces or shell characters"),
    /** Its arguments, one string each; {{upstream.host}}, {{upstream.port}} and {{applicationName}} are filled in. */
    args: z.array(z.string().max(4096)).max(256).default([]),
    /**
     * Variables of drbot's environment the program gets, by name (its own credentials, never drbot's:
     * those are refused). It gets the allow-listed environment besides (PATH, HOME, the locale…).
     */
    passEnv: z.array(envVarName).max(64).default([]),
    /** How long the program may take (a pg_basebackup of a large database takes a while). */
    timeout: durationSchema.default(30 * 60_000),
  })
  .strict()
  .superRefine((hook, ctx) => {
    hook.args.forEach((arg, index) => {
      for (const match of arg.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
        if (!(REJOIN_PLACEHOLDERS as readonly string[]).includes(match[1] ?? ""))
          ctx.addIssue({
            code: "custom",
            path: ["args", index],
            message: `unknown placeholder {{${match[1]}}}; known: ${REJOIN_PLACEHOLDERS.map((p) => `{{${p}}}`).join(", ")}`,
          });
      }
    });
  });

export const postgresServerSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().default(5432),
    user: z.string().min(1),
    database: z.string().default("postgres"),
    passwordEnv: envVarName.optional(),
    /** The site it runs in; by default the primary site for `primary` and the DR site for `replica`. */
    site: nameSchema.optional(),
    /** Its application_name in the other server's pg_stat_replication while it streams from it. */
    applicationName: z.string().min(1).max(63).optional(),
    /** How this server is made a replica of the other one (failback). Without it drbot cannot do that. */
    rejoin: rejoinHookSchema.optional(),
  })
  .strict();

export type PostgresServerConfig = z.output<typeof postgresServerSchema>;
export type RejoinHookConfig = NonNullable<PostgresServerConfig["rejoin"]>;

/** Which of the pair's two servers: the one configured under `primary` or under `replica`. */
export type PostgresServerKey = "primary" | "replica";

/** The parts of a postgres data source these functions read. */
export interface PostgresPairConfig {
  name: string;
  primary: PostgresServerConfig;
  replica: PostgresServerConfig;
}

/** The configured sites' names by role, as the pair's default placement needs them. */
export interface SiteRoles {
  primary: string;
  dr: string;
}

/** The site a server of the pair runs in. */
export function serverSite(source: PostgresPairConfig, key: PostgresServerKey, sites: SiteRoles): string {
  return source[key].site ?? (key === "primary" ? sites.primary : sites.dr);
}

/** The server of the pair that runs in `site`, or undefined when neither does. */
export function serverAt(
  source: PostgresPairConfig,
  site: string,
  sites: SiteRoles,
): PostgresServerKey | undefined {
  if (serverSite(source, "primary", sites) === site) return "primary";
  if (serverSite(source, "replica", sites) === site) return "replica";
  return undefined;
}

export function otherServer(key: PostgresServerKey): PostgresServerKey {
  return key === "primary" ? "replica" : "primary";
}

/** A rejoin hook's arguments with its placeholders filled in, argument by argument. */
export function rejoinArguments(
  hook: RejoinHookConfig,
  values: { upstreamHost: string; upstreamPort: number; applicationName: string },
): string[] {
  const byName: Record<(typeof REJOIN_PLACEHOLDERS)[number], string> = {
    "upstream.host": values.upstreamHost,
    "upstream.port": String(values.upstreamPort),
    applicationName: values.applicationName,
  };
  return hook.args.map((arg) =>
    arg.replace(
      /\{\{\s*([^}]*?)\s*\}\}/g,
      (whole, name: string) => byName[name as keyof typeof byName] ?? whole,
    ),
  );
}
