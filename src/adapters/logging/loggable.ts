import { REDACTED, redact } from "../../domain/redact.js";

/**
 * Field names whose value is a credential whatever it looks like; Slack's response_url and
 * trigger_id are capabilities (src/domain/evidence/shown-proof.ts).
 */
const CREDENTIAL_FIELD =
  /^(password|passwd|pwd|secret|token|authorization|cookie|api[-_]?key|signing[-_]?secret|bot[-_]?token|app[-_]?token|private[-_]?key|response_urls?|trigger_id)$/i;

const MAX_DEPTH = 6;
const MAX_ITEMS = 50;

/**
 * A value made fit for a JSON log line: every string redacted (known secret values and secret
 * shapes), credential-named fields replaced, errors as `{ type, message, code, stack, details,
 * cause }`, cycles and depth cut, functions and undefined left out.
 */
export function loggable(
  value: unknown,
  secrets: readonly string[],
  depth = 0,
  seen = new Set<object>(),
): unknown {
  if (typeof value === "string") return redact(value, secrets);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return value;
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "object") return undefined;
  if (seen.has(value)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[…]";
  seen.add(value);
  try {
    if (value instanceof Error) return loggableError(value, secrets, depth, seen);
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
    if (Array.isArray(value) || value instanceof Set)
      return [...value].slice(0, MAX_ITEMS).map((v) => loggable(v, secrets, depth + 1, seen) ?? null);
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
    const out: Record<string, unknown> = {};
    for (const [key, v] of entries.slice(0, MAX_ITEMS)) {
      const name = String(key);
      if (CREDENTIAL_FIELD.test(name)) {
        if (v !== undefined) out[name] = REDACTED;
        continue;
      }
      const safe = loggable(v, secrets, depth + 1, seen);
      if (safe !== undefined) out[name] = safe;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

function loggableError(error: Error, secrets: readonly string[], depth: number, seen: Set<object>) {
  const { code, details } = error as Error & { code?: unknown; details?: unknown };
  const out: Record<string, unknown> = {
    type: error.name,
    message: redact(error.message, secrets),
  };
  if (typeof code === "string" || typeof code === "number") out.code = code;
  if (error.stack) out.stack = redact(error.stack, secrets);
  if (details !== undefined) out.details = loggable(details, secrets, depth + 1, seen);
  if (error instanceof AggregateError)
    out.errors = error.errors.slice(0, 10).map((e) => loggable(e, secrets, depth + 1, seen));
  if (error.cause !== undefined) out.cause = loggable(error.cause, secrets, depth + 1, seen);
  return out;
}
