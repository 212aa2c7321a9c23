import { randomBytes } from "node:crypto";
import { chown, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type Result, type ResultPromise } from "execa";
import pg from "pg";
import { freePort } from "./redis-server.js";
import { waitFor } from "./wait-for.js";

/**
 * Two real PostgreSQL servers from Debian's packages in streaming replication on 127.0.0.1: a
 * primary made by initdb and a replica made by `pg_basebackup -R` from it, each on a free port in a
 * temporary directory, stopped and removed by `stop()`. Passwords are required over TCP
 * (scram-sha-256), so drbot's passwordEnv path is exercised for real.
 *
 * Roles: `postgres` (superuser, for the test's own setup and load) and `drbot` with only what the
 * bot needs: pg_monitor and EXECUTE on pg_promote.
 *
 * PostgreSQL refuses to run as root; as root the servers run as the `postgres` user the Debian
 * package creates.
 */
export interface PostgresPair {
  primary: PostgresServer;
  replica: PostgresServer;
  /** drbot's password; put it in the environment variable the source's passwordEnv names. */
  drbotPassword: string;
  /** A postgres data source for the configuration (lagAlert and the rest can be overridden). */
  source(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** Runs SQL as the superuser on one server, with a 10 s deadline. */
  sql<R extends Record<string, unknown>>(
    role: "primary" | "replica",
    text: string,
    values?: unknown[],
  ): Promise<R[]>;
  stop(): Promise<void>;
}

export interface PostgresServer {
  port: number;
  /** Fast shutdown (SIGINT): the server is gone, its port refuses connections. */
  stop(): Promise<void>;
}

const INSTALL_HINT = "PostgreSQL is not installed: apt-get install -y postgresql (Debian's packages)";
const START_DEADLINE_MS = 30_000;
const SQL_DEADLINE_MS = 10_000;
export const REPLICA_APPLICATION_NAME = "dc2-replica";

/** The newest /usr/lib/postgresql/<version>/bin, where Debian puts initdb and pg_basebackup. */
async function postgresBinDir(): Promise<string> {
  const versions = await readdir("/usr/lib/postgresql").catch(() => [] as string[]);
  const newest = versions
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .at(0);
  if (!newest) throw new Error(INSTALL_HINT);
  return join("/usr/lib/postgresql", newest, "bin");
}

/** uid and gid of the `postgres` user when running as root (PostgreSQL refuses root). */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = await readFile("/etc/passwd", "utf8");
  const line = passwd.split("\n").find((l) => l.startsWith("postgres:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined)
    throw new Error(`running as root and there is no postgres user to run the servers as; ${INSTALL_HINT}`);
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startPostgresPair(): Promise<PostgresPair> {
  const bin = await postgresBinDir();
  const user = await serverUser();
  const root = await mkdtemp(join(tmpdir(), "drbot-pg-"));
  const superPassword = randomBytes(12).toString("hex");
  const drbotPassword = randomBytes(12).toString("hex");
  const servers: { stop(): Promise<void> }[] = [];
  const asServer = { ...(user ?? {}), env: { LANG: "C", PATH: process.env.PATH ?? "" }, extendEnv: false };
  if (user) await chown(root, user.uid, user.gid);

  const run = async (program: string, args: string[], env: Record<string, string> = {}) => {
    const result = await execa(join(bin, program), args, {
      ...asServer,
      env: { ...asServer.env, ...env },
      all: true,
      reject: false,
      timeout: 60_000,
    });
    if (result.exitCode !== 0)
      throw new Error(
        `${program} failed (exit ${result.exitCode ?? result.signal}): ${String(result.all ?? "").slice(-2_000)}`,
      );
  };

  const connect = async (port: number) => {
    const client = new pg.Client({
      host: "127.0.0.1",
      port,
      user: "postgres",
      password: superPassword,
      database: "postgres",
      connectionTimeoutMillis: SQL_DEADLINE_MS,
      query_timeout: SQL_DEADLINE_MS,
    });
    client.on("error", () => undefined);
    await client.connect();
    return client;
  };
  const sqlOn = async <R extends Record<string, unknown>>(port: number, text: string, values?: unknown[]) => {
    const client = await connect(port);
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  const startServer = async (dataDir: string): Promise<PostgresServer> => {
    const port = await freePort();
    let exited: Result | undefined;
    const child: ResultPromise = execa(
      join(bin, "postgres"),
      [
        "-D",
        dataDir,
        "-p",
        String(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        `unix_socket_directories=${root}`,
        // A test database: nothing here needs to survive a power cut.
        "-c",
        "fsync=off",
        "-c",
        "wal_receiver_status_interval=1s",
      ],
      { ...asServer, stdin: "ignore", all: true, reject: false },
    );
    void child.then((result) => {
      exited = result;
    });
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      child.kill("SIGINT");
      await child;
    };
    servers.push({ stop });
    await waitFor(
      async () => {
        if (exited)
          throw new Error(
            `postgres stopped while starting (exit ${exited.exitCode ?? exited.signal}): ${String(exited.all ?? "").slice(-2_000)}`,
          );
        try {
          await sqlOn(port, "SELECT 1");
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: START_DEADLINE_MS, intervalMs: 50, description: `postgres to answer on port ${port}` },
    );
    return { port, stop };
  };

  const stopAll = async () => {
    for (const server of servers.reverse()) await server.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  };

  try {
    const pwfile = join(root, "pwfile");
    await writeFile(pwfile, `${superPassword}\n`, { mode: 0o600 });
    if (user) await chown(pwfile, user.uid, user.gid);
    const primaryDir = join(root, "primary");
    const replicaDir = join(root, "replica");
    await run("initdb", [
      "-D",
      primaryDir,
      "-U",
      "postgres",
      `--pwfile=${pwfile}`,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C",
      "--no-sync",
    ]);
    const primary = await startServer(primaryDir);
    await sqlOn(
      primary.port,
      `CREATE ROLE drbot LOGIN PASSWORD '${drbotPassword}' IN ROLE pg_monitor;
       GRANT EXECUTE ON FUNCTION pg_promote(boolean, integer) TO drbot;
       CREATE TABLE load (id bigserial PRIMARY KEY, payload text NOT NULL, at timestamptz NOT NULL DEFAULT now());`,
    );
    await run(
      "pg_basebackup",
      [
        "-d",
        `host=127.0.0.1 port=${primary.port} user=postgres application_name=${REPLICA_APPLICATION_NAME}`,
        "-D",
        replicaDir,
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
        "--no-sync",
      ],
      { PGPASSWORD: superPassword },
    );
    const replica = await startServer(replicaDir);
    await waitFor(
      async () =>
        (
          await sqlOn<{ n: number }>(
            primary.port,
            "SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'",
          )
        )[0]?.n === 1,
      { timeoutMs: START_DEADLINE_MS, intervalMs: 50, description: "the replica to stream from the primary" },
    );
    return {
      primary,
      replica,
      drbotPassword,
      source(overrides = {}) {
        const endpoint = (port: number) => ({
          host: "127.0.0.1",
          port,
          user: "drbot",
          database: "postgres",
          passwordEnv: "PG_TEST_PASSWORD",
        });
        return {
          name: "pg",
          kind: "postgres",
          primary: endpoint(primary.port),
          replica: { ...endpoint(replica.port), applicationName: REPLICA_APPLICATION_NAME },
          ...overrides,
        };
      },
      sql: (role, text, values) => sqlOn(role === "primary" ? primary.port : replica.port, text, values),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
