import type { NamedVariables } from "../../config/environment.js";
import type { PostgresServerKey } from "../../domain/postgres-source.js";
import { abortableDelay } from "../../ports/abortable-delay.js";
import type { PostgresSourceConfig, ReplicationCallOptions } from "../../ports/database-replication.js";
import type { PostgresWhere } from "./postgres-error.js";
import { type Query, withPostgres } from "./with-postgres.js";

/**
 * Runs `work` on one connection to one server of a pair, within the call's deadline (the source's
 * timeout unless the caller gives one), errors naming the source, the server and the operation.
 */
export function onServer<T>(
  env: NamedVariables,
  source: PostgresSourceConfig,
  server: PostgresServerKey,
  operation: string,
  options: ReplicationCallOptions,
  work: (query: Query, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const endpoint = source[server];
  const where: PostgresWhere = {
    source: source.name,
    role: server,
    server: serverAddress(source, server),
    operation,
  };
  return withPostgres(
    where,
    endpoint,
    env,
    { timeoutMs: options.timeoutMs ?? source.timeout, signal: options.signal },
    work,
  );
}

export function serverAddress(source: PostgresSourceConfig, server: PostgresServerKey): string {
  return `${source[server].host}:${source[server].port}`;
}

/**
 * Polls `ready` every `intervalMs`: true once it answers true, false when `deadline` (epoch ms)
 * passes first. Rejects with the signal's reason as soon as it aborts, mid-wait too: a step stopped
 * or fenced does not wait out the interval, nor ask the server again.
 */
export async function pollUntil(
  ready: () => Promise<boolean>,
  {
    deadline,
    intervalMs,
    signal,
  }: { deadline: number; intervalMs: number; signal?: AbortSignal | undefined },
): Promise<boolean> {
  for (;;) {
    signal?.throwIfAborted();
    if (await ready()) return true;
    if (Date.now() + intervalMs > deadline) return false;
    await abortableDelay(intervalMs, signal);
  }
}
