import type { NamedVariables } from "../../config/environment.js";
import type { DatabaseServerState } from "../../domain/database-server.js";
import { DrError, describeError } from "../../domain/errors.js";
import type { PostgresServerKey } from "../../domain/postgres-source.js";
import type {
  LongCallOptions,
  PostgresSourceConfig,
  ReplicationCallOptions,
  WritesResumed,
  WritesStopped,
} from "../../ports/database-replication.js";
import { onServer, pollUntil, serverAddress } from "./on-server.js";
import type { Query } from "./with-postgres.js";

/**
 * What drbot reads and changes on one server over SQL, as its own user: the server's state, stopping
 * its writes, and taking the read-only default off again. The user needs pg_monitor, EXECUTE on
 * pg_reload_conf(), ALTER SYSTEM on default_transaction_read_only (PostgreSQL 15:
 * `GRANT ALTER SYSTEM ON PARAMETER default_transaction_read_only TO drbot`) and pg_signal_backend
 * (which ends any session but a superuser's).
 */

const STATE_SQL = `
  SELECT pg_is_in_recovery() AS in_recovery,
         current_setting('default_transaction_read_only') = 'on' AS read_only,
         CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text
              ELSE pg_current_wal_lsn()::text END AS lsn,
         (SELECT status FROM pg_stat_wal_receiver LIMIT 1) AS receiver_status,
         (SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver LIMIT 1) AS receiver_upstream,
         (SELECT count(*)::int FROM pg_stat_activity
           WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
             AND backend_xid IS NOT NULL) AS write_transactions`;

/** Every client session but this one, with whether drbot may end it. */
const SESSIONS_SQL = `
  SELECT a.pid, coalesce(a.usename, '?') AS usename, coalesce(a.datname, '?') AS datname,
         coalesce(a.application_name, '') AS application_name, coalesce(r.rolsuper, false) AS superuser
    FROM pg_stat_activity a LEFT JOIN pg_roles r ON r.oid = a.usesysid
   WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()`;

const POLL_MS = 50;

export async function readServerState(
  env: NamedVariables,
  source: PostgresSourceConfig,
  server: PostgresServerKey,
  options: ReplicationCallOptions,
): Promise<DatabaseServerState> {
  return onServer(env, source, server, "read its state", options, (query) => stateOf(query, source, server));
}

async function stateOf(
  query: Query,
  source: PostgresSourceConfig,
  server: PostgresServerKey,
): Promise<DatabaseServerState> {
  const [row] = await query<{
    in_recovery: boolean;
    read_only: boolean;
    lsn: string | null;
    receiver_status: string | null;
    receiver_upstream: string | null;
    write_transactions: number;
  }>(STATE_SQL);
  if (!row) throw new Error("no row from the server state query");
  return {
    server,
    address: serverAddress(source, server),
    inRecovery: row.in_recovery,
    readOnly: row.read_only,
    lsn: row.lsn,
    ...(row.receiver_status
      ? { receiver: { status: row.receiver_status, upstream: row.receiver_upstream ?? "unknown" } }
      : {}),
    writeTransactions: row.write_transactions,
  };
}

/**
 * Read-only by default from now on (ALTER SYSTEM, so a restart keeps it), then every other client
 * session ended, so nothing begun before can still commit; the WAL position read last is where the
 * writes stopped.
 */
export async function stopServerWrites(
  env: NamedVariables,
  source: PostgresSourceConfig,
  server: PostgresServerKey,
  options: LongCallOptions,
): Promise<WritesStopped> {
  const deadline = Date.now() + options.timeoutMs;
  return onServer(env, source, server, "stop its writes", options, async (query) => {
    const before = await readOnlySetting(query);
    await query("ALTER SYSTEM SET default_transaction_read_only = on");
    await query("SELECT pg_reload_conf()");
    // This session applies the reload at its next command, after the postmaster has read the file:
    // from then on every new session starts read-only.
    const applied = await pollUntil(
      async () =>
        (
          await query<{ on: boolean }>("SELECT current_setting('default_transaction_read_only') = 'on' AS on")
        )[0]?.on === true,
      { deadline, intervalMs: POLL_MS, signal: options.signal },
    );
    if (!applied) throw new Error("the server did not apply default_transaction_read_only = on in time");
    const sessions = await query<{
      pid: number;
      usename: string;
      datname: string;
      application_name: string;
      superuser: boolean;
    }>(SESSIONS_SQL);
    const ended: string[] = [];
    const notEnded: string[] = [];
    for (const s of sessions) {
      const name = `pid ${s.pid} ${s.usename}@${s.datname}${s.application_name ? ` (${s.application_name})` : ""}`;
      try {
        const [row] = await query<{ ok: boolean }>("SELECT pg_terminate_backend($1) AS ok", [s.pid]);
        // false: it had ended by itself meanwhile.
        if (row?.ok !== false) ended.push(name);
      } catch (error) {
        notEnded.push(`${name}: ${describeError(error)}`);
      }
    }
    const endedPids = sessions.map((s) => s.pid);
    await pollUntil(
      async () =>
        (
          await query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1)", [
            endedPids,
          ])
        )[0]?.n === notEnded.length,
      { deadline, intervalMs: POLL_MS, signal: options.signal },
    );
    const state = await stateOf(query, source, server);
    const detail = [
      `${state.address} is read-only by default`,
      `${ended.length} session(s) ended`,
      ...(notEnded.length > 0 ? [`${notEnded.length} could not be ended`] : []),
      state.writeTransactions === 0
        ? `no write transaction open; WAL at ${state.lsn}`
        : `${state.writeTransactions} write transaction(s) still open`,
    ].join(", ");
    return {
      lsn: state.lsn,
      ended,
      notEnded,
      writeTransactions: state.writeTransactions,
      detail,
      ...(before.on ? { readOnlyBefore: describeSetting(before) } : {}),
    };
  });
}

/**
 * Takes the writes back on a server drbot stopped (the undo of stopServerWrites): the read-only
 * default goes. A server in recovery is left alone (a standby takes no writes, whatever its default):
 * DrError conflict.
 */
export async function resumeServerWrites(
  env: NamedVariables,
  source: PostgresSourceConfig,
  server: PostgresServerKey,
  options: LongCallOptions,
): Promise<WritesResumed> {
  const deadline = Date.now() + options.timeoutMs;
  return onServer(env, source, server, "take its writes back on", options, async (query, signal) => {
    const before = await stateOf(query, source, server);
    if (before.inRecovery)
      throw new DrError("conflict", `${before.address} is in recovery (a standby): it takes no writes`);
    if (!before.readOnly) return { alreadyWritable: true, detail: `${before.address} takes writes already` };
    await clearReadOnly(query, deadline, signal);
    return {
      alreadyWritable: false,
      detail: `${before.address} takes writes again (read-only default removed)`,
    };
  });
}

/** Where default_transaction_read_only comes from, as a new session gets it (pg_read_all_settings). */
type ReadOnlySetting = {
  on: boolean;
  source: string;
  sourcefile: string | null;
  sourceline: number | null;
};

async function readOnlySetting(query: Query): Promise<ReadOnlySetting> {
  const [row] = await query<ReadOnlySetting>(
    `SELECT reset_val = 'on' AS on, source, sourcefile, sourceline
       FROM pg_settings WHERE name = 'default_transaction_read_only'`,
  );
  if (!row) throw new Error("no row for default_transaction_read_only in pg_settings");
  return row;
}

/** "postgresql.conf line 12", "ALTER SYSTEM (postgresql.auto.conf)", "the database's settings". */
function describeSetting(s: ReadOnlySetting): string {
  if (s.source === "configuration file" && s.sourcefile)
    return setByAlterSystem(s)
      ? "ALTER SYSTEM (postgresql.auto.conf)"
      : `${s.sourcefile}${s.sourceline ? ` line ${s.sourceline}` : ""}`;
  return `the server's ${s.source} settings`;
}

function setByAlterSystem(s: ReadOnlySetting): boolean {
  return s.source === "configuration file" && (s.sourcefile?.endsWith("postgresql.auto.conf") ?? false);
}

/**
 * Takes drbot's read-only default off again (a promoted server takes writes). A read-only default
 * set elsewhere than by ALTER SYSTEM (postgresql.conf, ALTER DATABASE or ROLE ... SET) is not lifted
 * by ALTER SYSTEM RESET: that fails at once, saying where it is set, rather than at the deadline.
 */
export async function clearReadOnly(query: Query, deadline: number, signal?: AbortSignal): Promise<void> {
  await query("SET default_transaction_read_only = off");
  await query("ALTER SYSTEM RESET default_transaction_read_only");
  await query("SELECT pg_reload_conf()");
  // reset_val is what a new session gets, once this session has applied the reload.
  let elsewhere: ReadOnlySetting | undefined;
  const applied = await pollUntil(
    async () => {
      // The session's own value back to the server's, so pg_settings says where that one comes from.
      await query("RESET default_transaction_read_only");
      const now = await readOnlySetting(query);
      if (now.on && !setByAlterSystem(now)) elsewhere = now;
      return !now.on || elsewhere !== undefined;
    },
    { deadline, intervalMs: POLL_MS, signal },
  );
  if (elsewhere)
    throw new DrError(
      "conflict",
      `default_transaction_read_only = on is set in ${describeSetting(elsewhere)}, which ALTER SYSTEM RESET does not lift: remove it there and reload (SELECT pg_reload_conf())`,
    );
  if (!applied) throw new Error("the server did not apply default_transaction_read_only = off in time");
}
