import { type Logger as BoltLogger, LogLevel } from "@slack/bolt";
import type { Logger } from "../ports/logger.js";

const SEVERITY: Record<LogLevel, number> = {
  [LogLevel.DEBUG]: 0,
  [LogLevel.INFO]: 1,
  [LogLevel.WARN]: 2,
  [LogLevel.ERROR]: 3,
};

/**
 * Bolt's and the WebClient's own messages (a failed signature check, a retried 429, a socket that
 * reconnects) as lines of drbot's log, redacted like every other line, instead of their console
 * output. Bolt logs a list of arguments; the strings make the message, the first Error is `err`.
 */
export function boltLogger(log: Logger, level: LogLevel = LogLevel.WARN): BoltLogger {
  let current = level;
  const write =
    (at: LogLevel) =>
    (...parts: unknown[]) => {
      if (SEVERITY[at] < SEVERITY[current]) return;
      const err = parts.find((p) => p instanceof Error);
      const message = parts
        .filter((p) => p !== err)
        .map((p) => (typeof p === "string" ? p : (JSON.stringify(p) ?? String(p))))
        .join(" ");
      log[at](message || (err as Error | undefined)?.message || "(no message)", {
        operation: "slack.bolt",
        ...(err ? { err } : {}),
      });
    };
  return {
    debug: write(LogLevel.DEBUG),
    info: write(LogLevel.INFO),
    warn: write(LogLevel.WARN),
    error: write(LogLevel.ERROR),
    setLevel: (next) => {
      current = next;
    },
    getLevel: () => current,
    // Every line already says where it comes from (operation "slack.bolt").
    setName: (_name) => undefined,
  };
}
