import type { DataSourceConfig } from "../domain/config.js";
import type { DatabaseServerState } from "../domain/database-server.js";
import type { PostgresServerKey } from "../domain/postgres-source.js";
import type { ReplicationLag } from "../domain/replication-lag.js";

export type PostgresSourceConfig = Extract<DataSourceConfig, { kind: "postgres" }>;

export interface ReplicationCallOptions {
  /** Cuts the call short (run aborted, step deadline, lost lease). */
  signal?: AbortSignal;
  /** Deadline for connecting and for each query; defaults to the source's `timeout`. */
  timeoutMs?: number;
}

/** Options of a call that may take long (promotion, a rejoin): its whole deadline is given. */
export type LongCallOptions = ReplicationCallOptions & { timeoutMs: number };

export interface Promotion {
  /** The server was already out of recovery before this call: nothing was promoted. */
  alreadyPromoted: boolean;
  /** The server is out of recovery and takes writes now. */
  promoted: boolean;
  detail: string;
}

/** What stopping the writes on a server did. */
export interface WritesStopped {
  /** Where its WAL stood once no session could write any more: what a replica must replay. */
  lsn: string | null;
  /** Sessions ended ("pid 4242 app@payments (payments-api)"). */
  ended: string[];
  /** Sessions drbot could not end (a superuser's, when drbot is not one), with why. */
  notEnded: string[];
  /** Transactions that have written and are still open (0 means the writes have stopped). */
  writeTransactions: number;
  detail: string;
  /**
   * Where the read-only default was set before this call changed it ("postgresql.conf line 12",
   * "ALTER SYSTEM (postgresql.auto.conf)"); absent when the server took writes by default.
   */
  readOnlyBefore?: string;
}

/** What taking the writes back on a server did. */
export interface WritesResumed {
  /** It took writes already: nothing was changed. */
  alreadyWritable: boolean;
  detail: string;
}

export interface Rejoin {
  /** It already streamed from the other server: the hook was not run. */
  already: boolean;
  detail: string;
  /** What the hook printed (its last lines), for the step's output. */
  output: string;
}

/**
 * A replicated database pair (one server in the primary site, one in the DR site) as step kinds and
 * the RPO reader see it. Servers are named by their configuration key (`primary`: the primary
 * site's, `replica`: the DR site's), whatever role they have now. The adapter is src/adapters/postgres.
 *
 * Contract: every call has a deadline (the source's timeout, or the caller's signal, whichever
 * comes first). Passwords come from the environment variables the configuration names and never
 * appear in results or errors. Failures are DrError with code unavailable, timeout, forbidden or
 * invalid_config, and a message naming the source, the server and what was being done.
 */
export interface DatabaseReplication {
  /**
   * The lag of the DR site's server behind the primary site's (the failover direction). Never throws
   * for a server that does not answer: the lag is then unknown, and the detail says why.
   */
  readLag(source: PostgresSourceConfig, options?: ReplicationCallOptions): Promise<ReplicationLag>;
  /** Whether the DR site's server is still a standby (pg_is_in_recovery()). Throws when it cannot be read. */
  replicaInRecovery(source: PostgresSourceConfig, options?: ReplicationCallOptions): Promise<boolean>;
  /** One server's role, position, read-only setting and open write transactions. Throws when it does not answer. */
  readServer(
    source: PostgresSourceConfig,
    server: PostgresServerKey,
    options?: ReplicationCallOptions,
  ): Promise<DatabaseServerState>;
  /**
   * Makes the server the writable primary: promotes it (pg_promote) when it is a standby, waits until
   * it has left recovery, and clears a read-only default drbot set on it before. Safe to call again:
   * a server already out of recovery is not promoted twice. `server` defaults to the DR site's.
   */
  promote(
    source: PostgresSourceConfig,
    options: LongCallOptions & { server?: PostgresServerKey },
  ): Promise<Promotion>;
  /**
   * Stops the writes on a server without stopping it: new transactions are read-only
   * (default_transaction_read_only, kept across restarts by ALTER SYSTEM) and every other client
   * session is ended, so a transaction begun before cannot commit afterwards. Idempotent. A client
   * that asks for a read-write transaction explicitly (BEGIN READ WRITE) is not stopped: this is a
   * fence for applications that use the server's default, which the result's counts confirm.
   */
  stopWrites(
    source: PostgresSourceConfig,
    server: PostgresServerKey,
    options: LongCallOptions,
  ): Promise<WritesStopped>;
  /**
   * Takes the writes back on a server whose writes stopWrites stopped: its read-only default is
   * removed, so new sessions write again. Idempotent. Throws DrError conflict for a server in
   * recovery (a standby takes no writes). It does not look at the other server: the caller checks
   * that it was not promoted meanwhile.
   */
  resumeWrites(
    source: PostgresSourceConfig,
    server: PostgresServerKey,
    options: LongCallOptions,
  ): Promise<WritesResumed>;
  /**
   * Makes the server a streaming replica of the other one through its `rejoin` hook (pg_rewind, or
   * pg_basebackup when rewinding is impossible), then waits until it streams from it. Does nothing
   * when it already does. Throws DrError invalid_config when the server has no hook.
   */
  rejoin(source: PostgresSourceConfig, server: PostgresServerKey, options: LongCallOptions): Promise<Rejoin>;
}
