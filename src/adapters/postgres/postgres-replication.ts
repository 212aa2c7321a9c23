import type { NamedVariables } from "../../config/environment.js";
import { describeError } from "../../domain/errors.js";
import {
  assessReplicationLag,
  type PrimaryWalState,
  type ReplicationLag,
  type ReplicaWalState,
  type ServerReading,
} from "../../domain/replication-lag.js";
import type {
  DatabaseReplication,
  PostgresSourceConfig,
  Promotion,
  ReplicationCallOptions,
} from "../../ports/database-replication.js";
import type { PostgresWhere } from "./postgres-error.js";
import { type PostgresEndpoint, withPostgres } from "./with-postgres.js";

/**
 * The primary's side: its write position and what each standby reports. pg_current_wal_lsn() fails
 * on a server in recovery, hence the CASE. The lag columns of pg_stat_replication are null unless
 * the user has pg_monitor (or is a superuser).
 */
const PRIMARY_SQL = `
  SELECT pg_is_in_recovery() AS in_recovery,
         CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS current_lsn,
         (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms`;
const STANDBYS_SQL = `
  SELECT application_name, state, replay_lsn::text AS replay_lsn,
         (extract(epoch FROM replay_lag) * 1000)::float8 AS replay_lag_ms
    FROM pg_stat_replication`;
/** The replica's side; pg_stat_wal_receiver.status is visible with pg_monitor (pg_read_all_stats). */
const REPLICA_SQL = `
  SELECT pg_is_in_recovery() AS in_recovery,
         pg_last_wal_receive_lsn()::text AS receive_lsn,
         pg_last_wal_replay_lsn()::text AS replay_lsn,
         (extract(epoch FROM pg_last_xact_replay_timestamp()) * 1000)::float8 AS last_replay_ms,
         (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms,
         CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END AS replay_paused,
         (SELECT status FROM pg_stat_wal_receiver LIMIT 1) AS receiver_status`;

/** SQLSTATE 55000 from pg_promote(): "recovery is not in progress" (someone promoted it meanwhile). */
const NOT_IN_RECOVERY = /recovery is not in progress/i;

/**
 * DatabaseReplication for PostgreSQL streaming replication, with the `pg` client. The user drbot
 * connects as needs pg_monitor on both servers (lag columns, WAL receiver status) and, for
 * promotion, EXECUTE on pg_promote(boolean, integer) on the replica (superusers have both).
 */
export class PostgresReplication implements DatabaseReplication {
  /** `env`: the variables the configuration names (each source's `passwordEnv`). */
  constructor(private readonly env: NamedVariables) {}

  async readLag(source: PostgresSourceConfig, options: ReplicationCallOptions = {}): Promise<ReplicationLag> {
    // Both servers at once, so a hung primary costs one deadline, not two. The readings are a few
    // milliseconds apart; on an idle primary that does not matter, and under load a replica read
    // slightly before the primary looks a few bytes behind with a tiny lag, which is true.
    const [primary, replica] = await Promise.all([
      settle(() => this.readPrimary(source, options)),
      settle(() => this.readReplica(source, options)),
    ]);
    return assessReplicationLag({
      primary,
      replica,
      lagAlertMs: source.lagAlert,
      ...(source.replica.applicationName ? { applicationName: source.replica.applicationName } : {}),
    });
  }

  async replicaInRecovery(
    source: PostgresSourceConfig,
    options: ReplicationCallOptions = {},
  ): Promise<boolean> {
    return this.on(source, "replica", "read whether it is in recovery", options, async (query) => {
      const [row] = await query<{ in_recovery: boolean }>("SELECT pg_is_in_recovery() AS in_recovery");
      return row?.in_recovery === true;
    });
  }

  async promote(
    source: PostgresSourceConfig,
    options: ReplicationCallOptions & { timeoutMs: number },
  ): Promise<Promotion> {
    return this.on(source, "replica", "promote it", options, async (query) => {
      const inRecovery = async () =>
        (await query<{ in_recovery: boolean }>("SELECT pg_is_in_recovery() AS in_recovery"))[0]
          ?.in_recovery === true;
      if (!(await inRecovery()))
        return {
          alreadyPromoted: true,
          promoted: true,
          detail: "already out of recovery: nothing to promote",
        };
      // pg_promote waits server-side; leave a second of the deadline for the answer to come back.
      const waitSeconds = Math.max(1, Math.floor(options.timeoutMs / 1000) - 1);
      let finished: boolean | undefined;
      try {
        const [row] = await query<{ promoted: boolean }>("SELECT pg_promote(true, $1::int) AS promoted", [
          waitSeconds,
        ]);
        finished = row?.promoted === true;
      } catch (error) {
        // Promoted by someone else between the check and the call: the effect holds, say so.
        if (!NOT_IN_RECOVERY.test(describeError(error))) throw error;
        return { alreadyPromoted: true, promoted: true, detail: "promoted by someone else meanwhile" };
      }
      const stillInRecovery = await inRecovery();
      return {
        alreadyPromoted: false,
        promoted: !stillInRecovery,
        detail: stillInRecovery
          ? `pg_promote signalled the replica, but it was still in recovery after ${waitSeconds} s${finished ? "" : " (pg_promote gave up waiting)"}`
          : "promoted: the replica has left recovery and accepts writes",
      };
    });
  }

  private readPrimary(
    source: PostgresSourceConfig,
    options: ReplicationCallOptions,
  ): Promise<PrimaryWalState> {
    return this.on(source, "primary", "read its WAL position and standbys", options, async (query) => {
      const [row] = await query<{ in_recovery: boolean; current_lsn: string | null; now_ms: number }>(
        PRIMARY_SQL,
      );
      if (!row) throw new Error("no row from the WAL position query");
      const standbys = row.in_recovery
        ? []
        : await query<{
            application_name: string;
            state: string;
            replay_lsn: string | null;
            replay_lag_ms: number | null;
          }>(STANDBYS_SQL);
      return {
        inRecovery: row.in_recovery,
        currentLsn: row.current_lsn,
        now: row.now_ms,
        standbys: standbys.map((s) => ({
          applicationName: s.application_name,
          state: s.state,
          replayLsn: s.replay_lsn,
          replayLagMs: s.replay_lag_ms,
        })),
      };
    });
  }

  private readReplica(
    source: PostgresSourceConfig,
    options: ReplicationCallOptions,
  ): Promise<ReplicaWalState> {
    return this.on(source, "replica", "read its recovery state", options, async (query) => {
      const [row] = await query<{
        in_recovery: boolean;
        receive_lsn: string | null;
        replay_lsn: string | null;
        last_replay_ms: number | null;
        now_ms: number;
        replay_paused: boolean;
        receiver_status: string | null;
      }>(REPLICA_SQL);
      if (!row) throw new Error("no row from the recovery state query");
      return {
        inRecovery: row.in_recovery,
        receiveLsn: row.receive_lsn,
        replayLsn: row.replay_lsn,
        lastReplayAt: row.last_replay_ms,
        now: row.now_ms,
        replayPaused: row.replay_paused,
        receiverStatus: row.receiver_status,
      };
    });
  }

  private on<T>(
    source: PostgresSourceConfig,
    role: "primary" | "replica",
    operation: string,
    options: ReplicationCallOptions,
    work: Parameters<typeof withPostgres<T>>[4],
  ): Promise<T> {
    const endpoint: PostgresEndpoint = source[role];
    const where: PostgresWhere = {
      source: source.name,
      role,
      server: `${endpoint.host}:${endpoint.port}`,
      operation,
    };
    return withPostgres(
      where,
      endpoint,
      this.env,
      { timeoutMs: options.timeoutMs ?? source.timeout, signal: options.signal },
      work,
    );
  }
}

async function settle<T>(read: () => Promise<T>): Promise<ServerReading<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}
