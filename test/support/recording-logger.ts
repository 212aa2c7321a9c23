import type { LogContext, Logger } from "../../src/ports/logger.js";

export interface LoggedLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  context: LogContext;
}

/** A Logger that keeps every line (with its child bindings merged in), for tests that look at logs. */
export interface RecordingLogger extends Logger {
  lines: LoggedLine[];
  /** The messages at `level` (every level when left out), oldest first. */
  messages(level?: LoggedLine["level"]): string[];
}

export function recordingLogger(): RecordingLogger {
  const lines: LoggedLine[] = [];
  const make = (bindings: LogContext): Logger => {
    const at =
      (level: LoggedLine["level"]) =>
      (message: string, context: LogContext = {}) =>
        void lines.push({ level, message, context: { ...bindings, ...context } });
    return {
      debug: at("debug"),
      info: at("info"),
      warn: at("warn"),
      error: at("error"),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return Object.assign(make({}), {
    lines,
    messages: (level?: LoggedLine["level"]) =>
      lines.filter((l) => level === undefined || l.level === level).map((l) => l.message),
  });
}
