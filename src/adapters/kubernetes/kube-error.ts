import { ApiException } from "@kubernetes/client-node";
import { DrError } from "../../domain/errors.js";

/**
 * Turns whatever client-node throws into DrError with what and where, and never a credential:
 * ApiException (HTTP status, JSON body), fetch failures (refused, reset), and aborts (deadline).
 */
export function kubeError(error: unknown, site: string, what: string, timedOutAfterMs?: number): DrError {
  if (timedOutAfterMs !== undefined || isAbort(error)) {
    return new DrError("timeout", `site ${site}: no answer within ${timedOutAfterMs ?? "the"} ms to ${what}`);
  }
  if (error instanceof ApiException) {
    const reason = parseReason(error.body);
    const code =
      error.code === 403
        ? "forbidden"
        : error.code === 404
          ? "not_found"
          : error.code === 409
            ? "conflict"
            : error.code === 401
              ? "forbidden"
              : error.code === 422
                ? "invalid_input"
                : "unavailable";
    return new DrError(code, `site ${site}: could not ${what}: ${error.code} ${reason}`, {
      status: error.code,
    });
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const errno =
    (cause as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException | undefined)?.code;
  if (
    errno === "ECONNREFUSED" ||
    errno === "ECONNRESET" ||
    errno === "EHOSTUNREACH" ||
    errno === "ENOTFOUND"
  ) {
    return new DrError("unavailable", `site ${site}: could not ${what}: API server unreachable (${errno})`);
  }
  if (
    errno === "UND_ERR_CONNECT_TIMEOUT" ||
    errno === "UND_ERR_HEADERS_TIMEOUT" ||
    errno === "UND_ERR_BODY_TIMEOUT"
  ) {
    return new DrError("timeout", `site ${site}: no answer in time to ${what}`);
  }
  const message = error instanceof Error ? (cause?.message ?? error.message) : String(error);
  return new DrError("unavailable", `site ${site}: could not ${what}: ${message.split("\n")[0]}`);
}

function isAbort(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === "AbortError" ||
      error.name === "TimeoutError" ||
      (error.cause instanceof Error &&
        (error.cause.name === "AbortError" || error.cause.name === "TimeoutError")))
  );
}

function parseReason(body: unknown): string {
  try {
    const parsed =
      typeof body === "string"
        ? (JSON.parse(body) as { message?: string; reason?: string })
        : (body as { message?: string; reason?: string });
    return parsed?.message ?? parsed?.reason ?? "";
  } catch {
    return typeof body === "string" ? body.slice(0, 200) : "";
  }
}
