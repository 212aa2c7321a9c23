import { type NamedVariables, secretVariableNames } from "../../config/environment.js";
import type { DatabaseServerState } from "../../domain/database-server.js";
import { describeError } from "../../domain/errors.js";
import type { PostgresServerKey } from "../../domain/postgres-source.js";
import {
  assessReplicationLag,
  type PrimaryWalState,
  type ReplicationLag,
  type ReplicaWalState,
  type ServerReading,
} from "../../domain/replication-lag.js";
import type { CommandRunner } from "../../ports/command-runner.js";
import type {
  DatabaseReplication,
  LongCallOptions,
  PostgresSourceConfig,
  Promotion,
  Rejoin,
  ReplicationCallOptions,
  WritesResumed,
  WritesStopped,
} from "../../ports/database-replication.js";
import { ExecaCommandRunner } from "../execa/execa-command-runner.js";
import { onServer } from "./on-server.js";
import { rejoinServer } from "./rejoin-server.js";
import { clearReadOnly, readServerState, resumeServerWrites, stopServerWrites } from "./server-control.js";
import type { Query } from "./with-postgres.js";

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
 * connects as needs pg_monitor on both servers (lag columns, WAL receiver status); to promote,
 * EXECUTE on pg_promote(boolean, integer); to stop writes and take them up again, what
 * server-control.ts lists (superusers have all of it). Rejoining runs the server's hook.
 */
export class PostgresReplication implements DatabaseReplication {
  /**
   * `env`: drbot's environment, where each source's `passwordEnv` is read. `commands` runs the
   * rejoin hooks: the process's runner, which withholds drbot's own secrets from them; without one,
   * a runner on `env` that withholds the variables drbot marks secret.
   */
  constructor(
    private readonly env: NamedVariables,
    private readonly commands: CommandRunner = new ExecaCommandRunner({
      environment: env,
      withheld: secretVariableNames(),
    }),
  ) {}

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

  readServer(
    source: PostgresSourceConfig,
    server: PostgresServerKey,
    options: ReplicationCallOptions = {},
  ): Promise<DatabaseServerState> {
    return readServerState(this.env, source, server, options);
  }

  stopWrites(
    source: PostgresSourceConfig,
    server: PostgresServerKey,
    options: LongCallOptions,
  ): Promise<WritesStopped> {
    return stopServerWrites(this.env, source, server, options);
  }

  resumeWrites(
    source: PostgresSourceConfig,
    server: PostgresServerKey,
    options: LongCallOptions,
  ): Promise<WritesResumed> {
    return resumeServerWrites(this.env, source, server, options);
  }

  rejoin(source: PostgresSourceConfig, server: PostgresServerKey, options: LongCallOptions): Promise<Rejoin> {
    return rejoinServer({ env: this.env, commands: this.commands }, source, server, options);
  }

  async promote(
    source: PostgresSourceConfig,
    options: LongCallOptions & { server?: PostgresServerKey },
  ): Promise<Promotion> {
    const deadline = Date.now() + options.timeoutMs;
    return this.on(source, options.server ?? "replica", "promote it", options, async (query, signal) => {
      const inRecovery = async () =>
        (await query<{ in_recovery: boolean }>("SELECT pg_is_in_recovery() AS in_recovery"))[0]
          ?.in_recovery === true;
      if (!(await inRecovery())) {
        await clearReadOnly(query, deadline, signal);
        return {
          alreadyPromoted: true,
          promoted: true,
          detail: "already out of recovery: nothing to promote; it takes writes",
        };
      }
      // pg_promote waits server-side; leave a second of the deadline for the answer to come back.
      const waitSeconds = Math.max(1, Math.floor(options.timeoutMs / 1000) - 1);
      let finished: boolean | undefined;
      let byOthers = false;
      try {
        const [row] = await query<{ promoted: boolean }>("SELECT pg_promote(true, $1::int) AS promoted", [
          waitSeconds,
        ]);
        finished = row?.promoted === true;
      } catch (error) {
        // Promoted by someone else between the check and the call: the effect holds, say so.
        if (!NOT_IN_RECOVERY.test(describeError(error))) throw error;
        byOthers = true;
      }
      const stillInRecovery = await inRecovery();
      if (stillInRecovery)
        return {
          alreadyPromoted: false,
          promoted: false,
          detail: `pg_promote signalled the server, but it was still in recovery after ${waitSeconds} s${finished ? "" : " (pg_promote gave up waiting)"}`,
        };
      // Out of recovery: now it may take writes (a read-only default from an earlier fence goes).
      await clearReadOnly(query, deadline, signal);
      return {
        alreadyPromoted: byOthers,
        promoted: true,
        detail: byOthers
          ? "promoted by someone else meanwhile; it takes writes"
          : "promoted: the server has left recovery and takes writes",
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
    role: PostgresServerKey,
    operation: string,
    options: ReplicationCallOptions,
    work: (query: Query, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return onServer(this.env, source, role, operation, options, work);
  }
}

async function settle<T>(read: () => Promise<T>): Promise<ServerReading<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}
