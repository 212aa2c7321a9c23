import pg from "pg";
import type { NamedVariables } from "../../config/environment.js";
import { DrError } from "../../domain/errors.js";
import { type PostgresWhere, toPostgresError } from "./postgres-error.js";

export interface PostgresEndpoint {
  host: string;
  port: number;
  user: string;
  database: string;
  passwordEnv?: string | undefined;
}

/** Runs one parameterised query and returns its rows. */
export type Query = <R extends Record<string, unknown>>(sql: string, values?: unknown[]) => Promise<R[]>;

/** How long closing a connection may take before drbot stops waiting for the server's goodbye. */
const CLOSE_GRACE_MS = 1_000;

/**
 * Opens one connection, runs `work` on it and closes it, all within `timeoutMs` (or sooner when the
 * caller's signal aborts). drbot talks to a database a few times a minute at most, so a connection
 * per call costs little and never leaves a half-broken pooled connection behind after a timeout.
 *
 * Three guards, because a hung network or server must never hold a step: connectionTimeoutMillis
 * for connecting, statement_timeout so the server itself gives up on the query, and the deadline
 * signal, which ends the connection (pg destroys the socket when a query is in flight) and
 * releases the caller at once whatever the library is doing.
 *
 * The password comes from the environment variable named by `passwordEnv` and goes only into the
 * client's options; no message built here contains it. Throws PostgresError (or DrError
 * invalid_config when the named variable is not set).
 */
export async function withPostgres<T>(
  where: PostgresWhere,
  endpoint: PostgresEndpoint,
  env: NamedVariables,
  options: { timeoutMs: number; signal?: AbortSignal | undefined },
  work: (query: Query, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const password = readPassword(env, endpoint.passwordEnv, where);
  const secrets = password === undefined ? [] : [password];
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const deadline = () => ({
    timeoutMs: options.timeoutMs,
    timedOut: timeout.aborted,
    callerAborted: options.signal?.aborted ?? false,
  });
  if (signal.aborted) throw toPostgresError(signal.reason, where, deadline(), secrets);

  const client = new pg.Client({
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    database: endpoint.database,
    ...(password !== undefined ? { password } : {}),
    application_name: "drbot",
    connectionTimeoutMillis: options.timeoutMs,
    statement_timeout: options.timeoutMs,
    query_timeout: options.timeoutMs,
    keepAlive: true,
  });
  client.on(
    "error",
    // After an abort the socket is destroyed under the client and its late 'error' is expected; any
    // other failure also rejects the connect or query in flight, which reports it.
    () => undefined,
  );
  const onAbort = () =>
    void client.end().catch(
      // Ending a connection the deadline gave up on: the caller is already told of the timeout.
      () => undefined,
    );
  signal.addEventListener("abort", onAbort, { once: true });
  const query: Query = async (sql, values) => (await untilAborted(client.query(sql, values), signal)).rows;
  try {
    await untilAborted(client.connect(), signal);
    return await untilAborted(work(query, signal), signal);
  } catch (error) {
    throw toPostgresError(error, where, deadline(), secrets);
  } finally {
    signal.removeEventListener("abort", onAbort);
    const closing = client.end().catch(
      // The work is done or has failed (and said so); a connection that does not end cleanly is dropped.
      () => undefined,
    );
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
  }
}

function readPassword(
  env: NamedVariables,
  name: string | undefined,
  where: PostgresWhere,
): string | undefined {
  if (name === undefined) return undefined;
  const value = env[name];
  if (value === undefined || value === "")
    throw new DrError(
      "invalid_config",
      `dataSources ${where.source}: ${where.role}.passwordEnv names ${name}, but that environment variable is not set`,
      { source: where.source, role: where.role },
    );
  return value;
}

/** Settles with `promise`, or rejects as soon as `signal` aborts (the promise's late result is dropped). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
