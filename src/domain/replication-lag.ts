import { formatMs } from "./duration.js";

/**
 * PostgreSQL streaming replication lag, worked out from what the two servers say about themselves.
 * Pure: the adapter (src/adapters/postgres) reads the servers and hands the readings in, with the
 * servers' own clocks, so this file never reads a clock or a socket.
 */

/** What the primary says: how far it has written, and what each connected standby reports. */
export interface PrimaryWalState {
  inRecovery: boolean;
  /** pg_current_wal_lsn(): everything up to here is written on the primary (null in recovery). */
  currentLsn: string | null;
  /** now() on the primary, ms since the epoch. */
  now: number;
  /** Rows of pg_stat_replication (the lag columns need pg_monitor, otherwise they are null). */
  standbys: StandbyReport[];
}

export interface StandbyReport {
  applicationName: string;
  state: string;
  replayLsn: string | null;
  /** replay_lag in ms: how long ago the WAL the standby has just replayed was flushed on the primary. */
  replayLagMs: number | null;
}

/** What the replica says about its own recovery. */
export interface ReplicaWalState {
  inRecovery: boolean;
  /** pg_last_wal_receive_lsn(): WAL received and flushed on the replica. */
  receiveLsn: string | null;
  /** pg_last_wal_replay_lsn(): WAL applied on the replica. */
  replayLsn: string | null;
  /** pg_last_xact_replay_timestamp(): commit time (primary's clock) of the last replayed transaction. */
  lastReplayAt: number | null;
  /** now() on the replica, ms since the epoch. */
  now: number;
  replayPaused: boolean;
  /** pg_stat_wal_receiver.status ("streaming", …), null when no WAL receiver runs. */
  receiverStatus: string | null;
}

export type ServerReading<T> = { ok: true; value: T } | { ok: false; error: string };

export type LagState = "caught_up" | "behind" | "unknown";

export interface ReplicationLag {
  /** Data at risk in ms; undefined when it cannot be known (count it as the worst case). */
  lagMs: number | undefined;
  state: LagState;
  /** Above the alert threshold, or unknown (unknown is treated as the worst case). */
  alert: boolean;
  /** WAL the replica has not replayed yet, in bytes, when both servers answered. */
  bytesBehind: number | undefined;
  detail: string;
}

/** Parses an LSN ("16/B374D848": high and low 32 bits in hex) into a comparable number of bytes. */
export function parseLsn(lsn: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!match) throw new Error(`not an LSN: ${JSON.stringify(lsn.slice(0, 40))}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/**
 * How much data a failover to the replica would lose right now, in time.
 *
 * The usual one-liner, `now() - pg_last_xact_replay_timestamp()` on the replica, is wrong on an
 * idle primary: with no writes there is nothing new to replay, so the last replayed commit grows old
 * and the "lag" climbs to hours while the replica holds every byte. What matters is whether WAL is
 * missing, so positions come first: when the replica has replayed up to (or past) the primary's
 * current LSN, read at the same moment, nothing committed is missing and the lag is zero, however
 * old the last commit is.
 *
 * When WAL is missing, the time estimate comes from the primary's pg_stat_replication replay_lag
 * (it keeps growing while replay is stuck), taken from the configured standby or, without one, the
 * worst standby. If the replica is not streaming, or the primary has no lag figure, the age of the
 * last replayed commit is used instead: an upper bound, since everything missing was committed
 * after it. Either server unreachable, the replica promoted or the primary in recovery: unknown.
 */
export function assessReplicationLag(input: {
  primary: ServerReading<PrimaryWalState>;
  replica: ServerReading<ReplicaWalState>;
  lagAlertMs: number;
  /** The replica's application_name in pg_stat_replication, when configured. */
  applicationName?: string;
}): ReplicationLag {
  const { primary, replica, lagAlertMs } = input;
  const unknown = (detail: string): ReplicationLag => ({
    lagMs: undefined,
    state: "unknown",
    alert: true,
    bytesBehind: undefined,
    detail: `lag unknown: ${detail}`,
  });

  if (!replica.ok) return unknown(`the replica did not answer (${replica.error})`);
  const r = replica.value;
  if (!r.inRecovery)
    return unknown("the replica is not in recovery: it has been promoted, or it was never a standby");
  if (!primary.ok) {
    const last =
      r.lastReplayAt === null
        ? "the replica has replayed no transaction since it started"
        : `the replica's last replayed commit is from ${new Date(r.lastReplayAt).toISOString()} (${formatMs(Math.max(0, r.now - r.lastReplayAt))} ago); whatever the primary committed after that is at risk`;
    return unknown(`the primary did not answer (${primary.error}); ${last}`);
  }
  const p = primary.value;
  if (p.inRecovery || p.currentLsn === null)
    return unknown(
      "the configured primary is in recovery itself (a standby): has a failover already happened?",
    );
  if (r.replayLsn === null) return unknown("the replica has not replayed any WAL yet");

  const behind = parseLsn(p.currentLsn) - parseLsn(r.replayLsn);
  const paused = r.replayPaused ? "; replay is paused on the replica" : "";
  if (behind <= 0n) {
    const idle =
      r.lastReplayAt === null
        ? ""
        : `; the last replayed commit is ${formatMs(Math.max(0, p.now - r.lastReplayAt))} old, which is not lag: the primary has written nothing since`;
    return {
      lagMs: 0,
      state: "caught_up",
      alert: false,
      bytesBehind: 0,
      detail: `caught up: the replica has replayed everything the primary has written (LSN ${p.currentLsn})${idle}${paused}`,
    };
  }

  const bytesBehind = Number(behind);
  const reported = p.standbys
    .filter((s) => input.applicationName === undefined || s.applicationName === input.applicationName)
    .map((s) => s.replayLagMs)
    .filter((ms): ms is number => ms !== null);
  const streaming = r.receiverStatus === "streaming";
  let lagMs: number;
  let how: string;
  if (streaming && reported.length > 0) {
    lagMs = Math.max(...reported);
    how = "replay_lag reported by the primary";
  } else if (r.lastReplayAt !== null) {
    lagMs = Math.max(0, p.now - r.lastReplayAt);
    how = `upper bound: age of the replica's last replayed commit${streaming ? "" : `, the replica is not streaming (${r.receiverStatus ?? "no WAL receiver"})`}`;
  } else {
    return {
      ...unknown(
        `the replica is ${bytesBehind} bytes behind and has replayed no transaction to date it by${paused}`,
      ),
      bytesBehind,
    };
  }
  const alert = lagMs > lagAlertMs;
  return {
    lagMs,
    state: "behind",
    alert,
    bytesBehind,
    detail: `behind by ${bytesBehind} bytes of WAL, lag ${formatMs(lagMs)} (${how})${paused}${alert ? `; above the ${formatMs(lagAlertMs)} alert threshold` : ""}`,
  };
}
