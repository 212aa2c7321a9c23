import { hostname } from "node:os";
import { type Logger as Pino, pino, stdTimeFunctions } from "pino";
import { describeError } from "../../domain/errors.js";
import { redact } from "../../domain/redact.js";
import type { LogContext, Logger } from "../../ports/logger.js";
import { loggable } from "./loggable.js";

export type PinoLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

export interface PinoLoggerOptions {
  /** The least severe line written (LOG_LEVEL). */
  level: PinoLevel;
  /** Where each JSON line goes: standard error for the program, a list in tests. */
  write: (line: string) => void;
  /**
   * The secret values the process holds, read at every line: the runtime adds the passwords the
   * configuration names after this logger exists, and they are redacted from then on.
   */
  secrets: () => readonly string[];
}

/**
 * The Logger port on pino: one JSON object per line with `level` (its name), `time` (ISO 8601),
 * `pid`, `hostname`, `msg`, the context's fields (`operation`, `runId`, `stepId`, …) and `err` as
 * `{ type, message, code, stack, details, cause }`. pino gives the line format log pipelines expect,
 * levels and a fast writer; its own `redact` option works on key paths, while drbot knows its secrets
 * by value (a token may turn up inside any message or stack), so every string is passed through
 * src/domain/redact.ts before pino sees it, and fields named like credentials are dropped whole.
 *
 * Never throws: a line that cannot be built is replaced by one saying so.
 */
export function createPinoLogger(options: PinoLoggerOptions): Logger {
  const root = pino(
    {
      level: options.level,
      base: { name: "drbot", pid: process.pid, hostname: hostname() },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // `err` arrives already serialised and redacted; pino's own serialiser would wrap it again.
      serializers: { err: (err: unknown) => err },
    },
    { write: options.write },
  );
  return bound(root, options.secrets, {});
}

type Method = "debug" | "info" | "warn" | "error";

function bound(root: Pino, secrets: () => readonly string[], bindings: LogContext): Logger {
  const write = (method: Method, message: string, context?: LogContext) => {
    if (!root.isLevelEnabled(method)) return;
    const known = secrets();
    try {
      const fields = loggable({ ...bindings, ...context }, known) as Record<string, unknown>;
      root[method](fields, redact(message, known));
    } catch (error) {
      // The line's fields could not be made loggable: its message still goes out, with why.
      root.error(
        { operation: "log.write", err: { type: "LogError", message: redact(describeError(error), known) } },
        redact(message, known),
      );
    }
  };
  return {
    debug: (message, context) => write("debug", message, context),
    info: (message, context) => write("info", message, context),
    warn: (message, context) => write("warn", message, context),
    error: (message, context) => write("error", message, context),
    child: (more) => bound(root, secrets, { ...bindings, ...more }),
  };
}
