// The per-function entry point: the package's index loads every function and locale (about 250 MB
// of resident memory in Node) for the one we use.
import { formatDuration } from "date-fns/formatDuration";
import { z } from "zod";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const DURATION_WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/** Parses "2h", "15m", "1h30m", "500ms" into milliseconds; returns undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION_WHOLE.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(DURATION_PART)) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  return Math.round(total);
}

/** A duration written as text ("2h", "15m") or as a number of seconds, parsed into milliseconds. */
export const durationSchema = z.union([z.string(), z.number().nonnegative()]).transform((value, ctx) => {
  if (typeof value === "number") return Math.round(value * 1000);
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `"${value}" is not a duration; write it like 30s, 15m, 2h or 1h30m`,
    });
    return z.NEVER;
  }
  return ms;
});

/** Short human form for Slack and the CLI: "1h 5m", "42s", "850ms". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "unknown";
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(abs < 10_000 ? 1 : 0)}s`;
  // A duration, not a calendar interval: whole days of 24 h, never months (40 days stay "40d").
  const seconds = Math.round(abs / 1000);
  const d = {
    days: Math.floor(seconds / 86_400),
    hours: Math.floor((seconds % 86_400) / 3_600),
    minutes: Math.floor((seconds % 3_600) / 60),
    seconds: seconds % 60,
  };
  const text = formatDuration(d, { format: ["days", "hours", "minutes", "seconds"], delimiter: " " })
    .replace(/ days?/, "d")
    .replace(/ hours?/, "h")
    .replace(/ minutes?/, "m")
    .replace(/ seconds?/, "s");
  return `${sign}${text}`;
}
