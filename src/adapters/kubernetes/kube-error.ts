import { ApiException } from "@kubernetes/client-node";
import { DrError, type DrErrorCode } from "../../domain/errors.js";
import { redact } from "../../domain/redact.js";
import type { SiteErrorReason } from "../../domain/site-health.js";

/**
 * The one error a site request ends in: a DrError (so Slack and the CLI word it like any other)
 * that also says why (reason), on which site, and what drbot was doing. Built from status codes,
 * errno codes and the API server's own message, never from request options, so no token or
 * certificate can end up in it.
 */
export class KubeError extends DrError {
  readonly reason: SiteErrorReason;
  readonly site: string;
  readonly operation: string;
  readonly status: number | undefined;

  constructor(
    reason: SiteErrorReason,
    where: { site: string; operation: string },
    detail: string,
    options: { status?: number; code?: DrErrorCode; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(
      options.code ?? CODE_OF[reason],
      redact(`site ${where.site}: could not ${where.operation}: ${detail}`),
      { ...options.details, reason, site: where.site, operation: where.operation, status: options.status },
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "KubeError";
    this.reason = reason;
    this.site = where.site;
    this.operation = where.operation;
    this.status = options.status;
  }
}

const CODE_OF: Record<SiteErrorReason, DrErrorCode> = {
  timeout: "timeout",
  unreachable: "unavailable",
  forbidden: "forbidden",
  not_found: "not_found",
  conflict: "conflict",
  invalid: "invalid_input",
  unknown: "unavailable",
};

const UNREACHABLE_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);
const TIMEOUT_ERRNOS = new Set([
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/**
 * Turns whatever client-node 2 throws into a KubeError: ApiException (status plus a JSON body as a
 * string), `TypeError: fetch failed` with the errno in `cause`, and aborts (`TimeoutError` from
 * AbortSignal.timeout, `AbortError` from a caller's signal), possibly wrapped once more.
 */
export function toKubeError(
  error: unknown,
  where: { site: string; operation: string },
  deadline?: { timeoutMs: number; timedOut: boolean },
): KubeError {
  if (error instanceof KubeError) return error;
  if (deadline?.timedOut || causes(error).some((e) => e.name === "TimeoutError"))
    return new KubeError("timeout", where, `no answer within ${deadline?.timeoutMs ?? "the deadline in"} ms`);
  if (causes(error).some((e) => e.name === "AbortError"))
    return new KubeError(
      "timeout",
      where,
      "stopped: the caller gave up (run aborted or its deadline passed)",
    );
  if (error instanceof ApiException) return fromStatus(error.code, error.body, where);
  const errno = causes(error)
    .map((e) => (e as NodeJS.ErrnoException).code)
    .find((c): c is string => typeof c === "string");
  if (errno && UNREACHABLE_ERRNOS.has(errno))
    return new KubeError("unreachable", where, `API server unreachable (${errno})`);
  if (errno && TIMEOUT_ERRNOS.has(errno))
    return new KubeError("timeout", where, `no answer in time (${errno})`);
  const innermost = causes(error).at(-1);
  const message = innermost instanceof Error ? innermost.message : String(error);
  return new KubeError("unknown", where, firstLine(message));
}

function fromStatus(status: number, body: unknown, where: { site: string; operation: string }): KubeError {
  const detail = `${status} ${apiMessage(body)}`.trim();
  const reason: SiteErrorReason =
    status === 401 || status === 403
      ? "forbidden"
      : status === 404
        ? "not_found"
        : status === 409
          ? "conflict"
          : status === 400 || status === 422
            ? "invalid"
            : status === 408 || status === 504
              ? "timeout"
              : "unknown";
  return new KubeError(reason, where, detail, { status });
}

/** The error and its causes, outermost first (client-node wraps fetch errors, which wrap errno). */
function causes(error: unknown): Error[] {
  const chain: Error[] = [];
  let current: unknown = error;
  while (current instanceof Error && chain.length < 5) {
    chain.push(current);
    current = current.cause;
  }
  return chain;
}

function apiMessage(body: unknown): string {
  try {
    const status = (typeof body === "string" ? JSON.parse(body) : body) as {
      message?: string;
      reason?: string;
    } | null;
    return firstLine(status?.message ?? status?.reason ?? "");
  } catch {
    // Not a Status object: a proxy's or load balancer's text, whose first line says what happened.
    return typeof body === "string" ? firstLine(body) : "";
  }
}

function firstLine(text: string): string {
  return (text.split("\n")[0] ?? "").slice(0, 300);
}
