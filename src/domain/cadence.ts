import { z } from "zod";
import { parseCron } from "./calendar.js";
import { formatMs, parseDuration } from "./duration.js";

/**
 * How often a data source makes a recovery point, as designed: a cron schedule (Velero's
 * `schedule`, a Longhorn RecurringJob's `cron`, RKE2's `etcd-snapshot-schedule-cron`), a plain
 * interval, or continuous (replication). Pure: times are passed in, crons are read as UTC, as
 * Velero, Longhorn and RKE2 run them by default.
 */
export type Cadence =
  | { kind: "continuous" }
  | { kind: "interval"; everyMs: number }
  | { kind: "cron"; expression: string };

/** "continuous", an interval ("6h", "30m"), a cron expression ("0 0,6,12,18 * * *") or Go's "@every 1h". */
export function parseCadence(text: string): Cadence | { error: string } {
  const value = text.trim();
  if (value === "continuous") return { kind: "continuous" };
  const every = /^@every\s+(.+)$/.exec(value);
  const interval = parseDuration(every ? every[1]!.replace(/(\d)([hms])(?=\d)/g, "$1$2") : value);
  if (interval !== undefined) {
    if (interval <= 0) return { error: `"${value}" is no interval: it must be longer than 0` };
    return { kind: "interval", everyMs: interval };
  }
  try {
    parseCron(value);
    return { kind: "cron", expression: value };
  } catch (error) {
    return {
      error: `"${value}" is neither continuous, an interval (6h) nor a cron expression (${error instanceof Error ? error.message : String(error)})`,
    };
  }
}

export const cadenceSchema = z.string().transform((text, ctx): Cadence => {
  const parsed = parseCadence(text);
  if ("error" in parsed) {
    ctx.addIssue({ code: "custom", message: `${parsed.error}; write "0 */6 * * *", 6h or continuous` });
    return z.NEVER;
  }
  return parsed;
});

export function describeCadence(cadence: Cadence): string {
  switch (cadence.kind) {
    case "continuous":
      return "continuous";
    case "interval":
      return `every ${formatMs(cadence.everyMs)}`;
    case "cron":
      return `on "${cadence.expression}" UTC (at most ${formatMs(longestGap(cadence.expression))} apart)`;
  }
}

/** Occurrences strictly after `after`, one parsed schedule for the whole walk. */
function* occurrences(expression: string, after: number): Generator<number> {
  const cron = parseCron(expression);
  let current = new Date(after);
  for (;;) {
    const next = cron.nextRun(current);
    if (!next) return;
    yield next.getTime();
    current = next;
  }
}

const gaps = new Map<string, number>();
/** The longest time between two occurrences of a cron schedule over a year (cached). */
export function longestGap(expression: string): number {
  const known = gaps.get(expression);
  if (known !== undefined) return known;
  const from = Date.UTC(2025, 0, 1);
  const until = from + 366 * 86_400_000;
  let previous: number | undefined;
  let longest = 0;
  let count = 0;
  // A count bound as well as a time bound: a schedule every minute has 500,000 occurrences a year,
  // and one that frequent shows its longest gap within its first thousand (ten days at every 15
  // minutes), unless it is also limited to some months: a limit this does not see.
  for (const at of occurrences(expression, from)) {
    if (previous !== undefined) longest = Math.max(longest, at - previous);
    previous = at;
    if (at > until || ++count > 1_000) break;
  }
  if (gaps.size > 500) gaps.clear();
  gaps.set(expression, longest);
  return longest;
}

/** The latest occurrence at or before `at`, or undefined when the schedule never ran before it. */
export function lastOccurrence(expression: string, at: number): number | undefined {
  // Look back far enough for the longest gap, walking forward from there.
  const back = Math.max(longestGap(expression), 60_000) + 60_000;
  let last: number | undefined;
  for (const occurrence of occurrences(expression, at - back)) {
    if (occurrence > at) break;
    last = occurrence;
  }
  return last;
}

/** The longest a source on this cadence goes without a new recovery point (continuous: 0). */
export function cadenceGap(cadence: Cadence): number {
  switch (cadence.kind) {
    case "continuous":
      return 0;
    case "interval":
      return cadence.everyMs;
    case "cron":
      return longestGap(cadence.expression);
  }
}
