/**
 * Structured logging. Every error that is not handled where it is caught is logged here with what was
 * being done (`operation`) and, where there is one, the run and step it concerns. The composition root
 * passes a logger in; nothing constructs its own.
 *
 * Contract: never throws; `context` values are serialised as JSON fields; secrets are redacted by the
 * adapter before anything is written; `err` is serialised with its message, code and stack.
 */
export interface Logger {
  debug(message: string, context?: LogContext): void;
  info(message: string, context?: LogContext): void;
  warn(message: string, context?: LogContext): void;
  error(message: string, context?: LogContext): void;
  /** A logger whose every line carries `bindings` (a component, a run id). */
  child(bindings: LogContext): Logger;
}

export interface LogContext {
  /** What was being done when it happened, e.g. "engine.drive", "slack.post-progress". */
  operation?: string;
  runId?: string;
  stepId?: string;
  err?: unknown;
  [field: string]: unknown;
}

/** Drops every line: for unit tests that do not look at logs. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
