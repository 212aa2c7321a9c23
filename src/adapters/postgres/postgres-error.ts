import { DrError, type DrErrorCode } from "../../domain/errors.js";
import { redact } from "../../domain/redact.js";

/** Which server, of which data source, and what drbot was doing there. */
export interface PostgresWhere {
  source: string;
  role: "primary" | "replica";
  /** host:port, never a connection string (which could carry a password). */
  server: string;
  operation: string;
}

/**
 * The one error a PostgreSQL call ends in: a DrError (worded like any other in Slack and the CLI)
 * that names the source, the server and the operation. Built from SQLSTATE and errno codes and the
 * server's message, never from the connection options, so a password cannot end up in it; known
 * secret values are redacted once more for good measure.
 */
export class PostgresError extends DrError {
  constructor(code: DrErrorCode, where: PostgresWhere, detail: string, secrets: readonly string[]) {
    // No `cause`: the library's error is left behind so nothing but this message can be logged.
    super(
      code,
      redact(
        `${where.source} ${where.role} (${where.server}): could not ${where.operation}: ${detail}`,
        secrets,
      ),
      { source: where.source, role: where.role, server: where.server, operation: where.operation },
    );
    this.name = "PostgresError";
  }
}

const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);

/**
 * Turns what pg throws into a PostgresError: aborts and deadlines (ours, or the server's
 * statement_timeout, SQLSTATE 57014), refused connections, authentication and privilege errors
 * (SQLSTATE classes 28 and 42501), and anything else with its first line.
 */
export function toPostgresError(
  error: unknown,
  where: PostgresWhere,
  deadline: { timeoutMs: number; timedOut: boolean; callerAborted: boolean },
  secrets: readonly string[],
): PostgresError {
  if (error instanceof PostgresError) return error;
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === "string" ? e.code : undefined;
  const message = firstLine(typeof e?.message === "string" ? e.message : String(error));
  if (deadline.timedOut || code === "57014" || /timeout expired|Query read timeout/.test(message))
    return new PostgresError("timeout", where, `no answer within ${deadline.timeoutMs} ms`, secrets);
  if (deadline.callerAborted)
    return new PostgresError(
      "timeout",
      where,
      "stopped: the caller gave up (run aborted or its deadline passed)",
      secrets,
    );
  if (code && UNREACHABLE.has(code))
    return new PostgresError("unavailable", where, `unreachable (${code})`, secrets);
  if (code?.startsWith("28"))
    return new PostgresError("forbidden", where, `${message} (SQLSTATE ${code})`, secrets);
  if (code === "42501")
    return new PostgresError("forbidden", where, `${message} (SQLSTATE ${code})`, secrets);
  if (/Connection terminated/.test(message)) return new PostgresError("unavailable", where, message, secrets);
  return new PostgresError("unavailable", where, code ? `${message} (${code})` : message, secrets);
}

function firstLine(text: string): string {
  return (text.split("\n")[0] ?? "").slice(0, 300);
}
