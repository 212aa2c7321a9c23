import type { RpoReading } from "../../domain/rpo.js";
import type { DatabaseReplication, PostgresSourceConfig } from "../../ports/database-replication.js";

/**
 * The RPO exposure of a replicated PostgreSQL pair: its replication lag. Never throws: a server that
 * does not answer (or any other failure) gives an unknown exposure, which the tier arithmetic counts
 * as the worst case, and a detail that starts with "lag unknown" and says why.
 */
export async function readPostgresRpo(
  source: PostgresSourceConfig,
  deps: { replication: DatabaseReplication; now: () => number; signal?: AbortSignal; timeoutMs?: number },
): Promise<RpoReading> {
  try {
    const lag = await deps.replication.readLag(source, {
      ...(deps.signal ? { signal: deps.signal } : {}),
      ...(deps.timeoutMs !== undefined ? { timeoutMs: deps.timeoutMs } : {}),
    });
    return {
      source: source.name,
      kind: "postgres",
      exposureMs: lag.lagMs,
      at: deps.now(),
      detail: lag.detail,
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      source: source.name,
      kind: "postgres",
      exposureMs: undefined,
      at: deps.now(),
      detail: `lag unknown: ${reason}`,
    };
  }
}
