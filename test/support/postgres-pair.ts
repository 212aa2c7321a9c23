import { randomBytes } from "node:crypto";
import { appendFile, chown, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import pg from "pg";
import { freePort } from "./redis-server.js";
import { waitFor } from "./wait-for.js";

/**
 * Two real PostgreSQL servers from Debian's packages in streaming replication on 127.0.0.1: a
 * primary made by initdb and a replica made by `pg_basebackup -R` from it, each on a free port in a
 * temporary directory, stopped and removed by `stop()`. Passwords are required over TCP
 * (scram-sha-256), so drbot's passwordEnv path is exercised for real.
 *
 * The servers run under pg_ctl, as they would on a database host, with their settings in their own
 * postgresql.conf: drbot's rejoin hook (deploy/postgres/drbot-pg-rejoin, see `rejoinHook`) stops
 * them, rewinds or re-seeds them and starts them again as standbys, on the same port. wal_log_hints
 * is on and enough WAL is kept for pg_rewind.
 *
 * Roles: `postgres` (superuser, for the test's own setup, load and the rejoin hook), `drbot` with
 * only what the bot needs (pg_monitor, EXECUTE on pg_promote and pg_reload_conf, ALTER SYSTEM on
 * default_transaction_read_only, pg_signal_backend), and `app`, the application, which may only use
 * the `load` table.
 *
 * PostgreSQL refuses to run as root; as root the servers run as the `postgres` user the Debian
 * package creates.
 */
export interface PostgresPair {
  primary: PostgresServer;
  replica: PostgresServer;
  /** drbot's password; put it in the environment variable the source's passwordEnv names. */
  drbotPassword: string;
  /** The superuser's password, which the rejoin hook needs (PGPASSWORD) for pg_rewind and pg_basebackup. */
  superPassword: string;
  /** The application's password (role `app`, which may use the `load` table). */
  appPassword: string;
  /**
   * The `rejoin` hook of a server for the data source: deploy/postgres/drbot-pg-rejoin run as the
   * servers' user on this machine, with the superuser's password from PG_TEST_SUPER_PASSWORD.
   */
  rejoinHook(role: "primary" | "replica"): Record<string, unknown>;
  /**
   * Removes every WAL segment but the newest from a stopped server's pg_wal, as a server that kept
   * too little WAL would have: pg_rewind then cannot find where the timelines forked.
   */
  removeOldWal(role: "primary" | "replica"): Promise<void>;
  /** A postgres data source for the configuration (lagAlert and the rest can be overridden). */
  source(overrides?: Record<string, unknown>): Record<string, unknown>;
  /**
   * The same source with each server's rejoin hook (and the primary's application name), as a
   * failback needs it; the hook's process needs PG_TEST_SUPER_PASSWORD in drbot's environment.
   */
  rejoinableSource(overrides?: Record<string, unknown>): Record<string, unknown>;
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
  /** Its data directory. */
  dataDir: string;
  /** Fast shutdown: the server is gone, its port refuses connections. Nothing when it is not running. */
  stop(): Promise<void>;
  /** Immediate shutdown, as a power cut would leave it: crash recovery at the next start. */
  crash(): Promise<void>;
  /** Starts it again (as whatever its data directory says: primary or standby). */
  start(): Promise<void>;
}

const INSTALL_HINT = "PostgreSQL is not installed: apt-get install -y postgresql (Debian's packages)";
const START_DEADLINE_MS = 30_000;
const SQL_DEADLINE_MS = 10_000;
export const REPLICA_APPLICATION_NAME = "dc2-replica";
/** drbot's shipped rejoin script, run by the test's rejoin hook as a database host would. */
const REJOIN_SCRIPT = join(process.cwd(), "deploy/postgres/drbot-pg-rejoin");

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
  const appPassword = randomBytes(12).toString("hex");
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

  const pgCtl = (dataDir: string, ...args: string[]) =>
    run("pg_ctl", ["-D", dataDir, "-w", "-t", String(START_DEADLINE_MS / 1000), ...args]);
  const isRunning = async (dataDir: string) =>
    (await execa(join(bin, "pg_ctl"), ["status", "-D", dataDir], { ...asServer, reject: false })).exitCode ===
    0;

  /** Its own settings in its own postgresql.conf, which the rejoin hook keeps across pg_rewind. */
  const configure = (dataDir: string, port: number) =>
    appendFile(
      join(dataDir, "postgresql.conf"),
      [
        "",
        "# drbot test pair",
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${root}'`,
        // A test database: nothing here needs to survive a power cut.
        "fsync = off",
        "wal_receiver_status_interval = 1s",
        // pg_rewind needs hint bits logged and the WAL since the timelines forked.
        "wal_log_hints = on",
        "wal_keep_size = '256MB'",
        "",
      ].join("\n"),
    );

  const server = async (dataDir: string): Promise<PostgresServer> => {
    const port = await freePort();
    await configure(dataDir, port);
    const logFile = `${dataDir}.log`;
    const stop = async (mode: "fast" | "immediate") => {
      if (await isRunning(dataDir)) await pgCtl(dataDir, "stop", "-m", mode);
    };
    const start = async () => {
      await pgCtl(dataDir, "start", "-l", logFile);
      await waitFor(
        async () => {
          try {
            await sqlOn(port, "SELECT 1");
            return true;
          } catch {
            return false;
          }
        },
        { timeoutMs: START_DEADLINE_MS, intervalMs: 50, description: `postgres to answer on port ${port}` },
      );
    };
    servers.push({ stop: () => stop("fast") });
    await start();
    return { port, dataDir, stop: () => stop("fast"), crash: () => stop("immediate"), start };
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
    const primary = await server(primaryDir);
    await sqlOn(
      primary.port,
      `CREATE ROLE drbot LOGIN PASSWORD '${drbotPassword}' IN ROLE pg_monitor, pg_signal_backend;
       GRANT EXECUTE ON FUNCTION pg_promote(boolean, integer) TO drbot;
       GRANT EXECUTE ON FUNCTION pg_reload_conf() TO drbot;
       GRANT ALTER SYSTEM ON PARAMETER default_transaction_read_only TO drbot;
       CREATE ROLE app LOGIN PASSWORD '${appPassword}';
       CREATE TABLE load (id bigserial PRIMARY KEY, payload text NOT NULL, at timestamptz NOT NULL DEFAULT now());
       GRANT SELECT, INSERT ON load TO app;
       GRANT USAGE ON SEQUENCE load_id_seq TO app;`,
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
    const replica = await server(replicaDir);
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
      superPassword,
      appPassword,
      rejoinHook(role) {
        const dataDir = role === "primary" ? primaryDir : replicaDir;
        const script = [
          "bash",
          REJOIN_SCRIPT,
          "--pgdata",
          dataDir,
          "--bindir",
          bin,
          "--upstream-host",
          "{{upstream.host}}",
          "--upstream-port",
          "{{upstream.port}}",
          "--application-name",
          "{{applicationName}}",
          "--log",
          `${dataDir}.log`,
          "--upstream-password-env",
          "PG_TEST_SUPER_PASSWORD",
          // The servers run with fsync off: nothing here needs to survive a power cut.
          "--no-sync",
        ];
        const [command, ...args] = user ? ["runuser", "-u", "postgres", "--", ...script] : script;
        return { command, args, passEnv: ["PG_TEST_SUPER_PASSWORD"], timeout: "2m" };
      },
      async removeOldWal(role) {
        const walDir = join(role === "primary" ? primaryDir : replicaDir, "pg_wal");
        const segments = (await readdir(walDir)).filter((f) => /^[0-9A-F]{24}$/.test(f)).sort();
        for (const segment of segments.slice(0, -1)) await rm(join(walDir, segment));
      },
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
      rejoinableSource(this: PostgresPair, overrides = {}) {
        const source = this.source(overrides) as { primary: object; replica: object };
        return {
          ...source,
          primary: { ...source.primary, applicationName: "dc1", rejoin: this.rejoinHook("primary") },
          replica: { ...source.replica, rejoin: this.rejoinHook("replica") },
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
