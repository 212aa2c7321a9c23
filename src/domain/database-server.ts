import type { PostgresServerKey } from "./postgres-source.js";
import { parseLsn } from "./replication-lag.js";

/**
 * One PostgreSQL server of a replicated pair as drbot reads it, and what follows from two readings:
 * whether a replica has replayed everything its upstream wrote (the lag gate of a switchover), and
 * whether a server takes writes. Pure: the adapter reads the servers.
 */
export interface DatabaseServerState {
  server: PostgresServerKey;
  /** host:port, never a connection string. */
  address: string;
  /** pg_is_in_recovery(): a standby (or a server still replaying after a crash). */
  inRecovery: boolean;
  /** default_transaction_read_only as a new session gets it. */
  readOnly: boolean;
  /** pg_current_wal_lsn() out of recovery, pg_last_wal_replay_lsn() in recovery. */
  lsn: string | null;
  /** The WAL receiver, in recovery: its status ("streaming", …) and the server it reads from. */
  receiver?: { status: string; upstream: string };
  /** Client sessions other than drbot's own that hold a transaction that has written. */
  writeTransactions: number;
}

/** A server takes writes: out of recovery, and new transactions are not read-only. */
export function isWritable(state: DatabaseServerState): boolean {
  return !state.inRecovery && !state.readOnly;
}

export function describeServerState(state: DatabaseServerState): string {
  const role = state.inRecovery
    ? `standby${state.receiver ? ` (${state.receiver.status} from ${state.receiver.upstream})` : " (no WAL receiver)"}`
    : state.readOnly
      ? "primary, read-only"
      : "primary, taking writes";
  return `${state.address}: ${role}, at ${state.lsn ?? "no LSN"}`;
}

export interface CatchUp {
  caughtUp: boolean;
  /** WAL the downstream has not replayed yet; undefined when it cannot be worked out. */
  bytesBehind: bigint | undefined;
  detail: string;
}

/**
 * Whether `downstream` has replayed everything `upstream` has written, give or take `maxBytes`.
 * Read the upstream first: whatever it had written then is what the downstream must have replayed.
 */
export function assessCatchUp(
  upstream: DatabaseServerState,
  downstream: DatabaseServerState,
  maxBytes: number,
): CatchUp {
  const unknown = (why: string): CatchUp => ({ caughtUp: false, bytesBehind: undefined, detail: why });
  if (upstream.inRecovery)
    return unknown(`the upstream ${upstream.address} is in recovery itself: it is not the primary`);
  if (!downstream.inRecovery)
    return unknown(`${downstream.address} is not in recovery: it is not a replica (promoted already?)`);
  if (upstream.lsn === null || downstream.lsn === null)
    return unknown(
      `${downstream.lsn === null ? downstream.address : upstream.address} reports no WAL position`,
    );
  const behind = parseLsn(upstream.lsn) - parseLsn(downstream.lsn);
  const bytes = behind > 0n ? behind : 0n;
  const receiving =
    downstream.receiver?.status === "streaming"
      ? ""
      : `; its WAL receiver is ${downstream.receiver?.status ?? "not running"}`;
  if (bytes <= BigInt(maxBytes))
    return {
      caughtUp: true,
      bytesBehind: bytes,
      detail: `${downstream.address} has replayed up to ${downstream.lsn}, ${bytes === 0n ? "everything" : `all but ${bytes} bytes of what`} ${upstream.address} has written (${upstream.lsn})`,
    };
  return {
    caughtUp: false,
    bytesBehind: bytes,
    detail: `${downstream.address} is ${bytes} bytes behind ${upstream.address} (replayed ${downstream.lsn}, written ${upstream.lsn})${receiving}`,
  };
}
