import type { DataSourceConfig } from "../domain/config.js";
import type { ReplicationLag } from "../domain/replication-lag.js";

export type PostgresSourceConfig = Extract<DataSourceConfig, { kind: "postgres" }>;

export interface ReplicationCallOptions {
  /** Cuts the call short (run aborted, step deadline, lost lease). */
  signal?: AbortSignal;
  /** Deadline for connecting and for each query; defaults to the source's `timeout`. */
  timeoutMs?: number;
}

export interface Promotion {
  /** The replica was already out of recovery before this call: nothing was done. */
  alreadyPromoted: boolean;
  /** The replica is out of recovery now. */
  promoted: boolean;
  detail: string;
}

/**
 * A replicated database pair (the primary in DC1, the replica in DC2) as step kinds and the RPO
 * reader see it. The adapter is src/adapters/postgres.
 *
 * Contract: every call has a deadline (the source's timeout, or the caller's signal, whichever
 * comes first). Passwords come from the environment variables the configuration names and never
 * appear in results or errors. Failures are DrError with code unavailable, timeout, forbidden or
 * invalid_config, and a message naming the source, the server and what was being done.
 */
export interface DatabaseReplication {
  /** Never throws for a server that does not answer: the lag is then unknown, and the detail says why. */
  readLag(source: PostgresSourceConfig, options?: ReplicationCallOptions): Promise<ReplicationLag>;
  /** Whether the replica is still a standby (pg_is_in_recovery()). Throws when it cannot be read. */
  replicaInRecovery(source: PostgresSourceConfig, options?: ReplicationCallOptions): Promise<boolean>;
  /**
   * Promotes the replica (pg_promote) and waits until it has left recovery or the deadline passes.
   * Safe to call again: a replica that is already out of recovery is reported, not promoted twice.
   */
  promote(
    source: PostgresSourceConfig,
    options: ReplicationCallOptions & { timeoutMs: number },
  ): Promise<Promotion>;
}
