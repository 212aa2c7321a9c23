import { longestGap } from "../cadence.js";
import { nextOccurrence } from "../calendar.js";
import { formatMs } from "../duration.js";
import type { ReadinessFinding } from "./readiness.js";
import { isRead, type Read } from "./site-objects.js";

/** The seed's drill cadence (a full DR drill every quarter) when no calendar schedule covers the tier. */
export const SEED_DRILL_EVERY_MS = 92 * 86_400_000;
/** How long after its cadence a drill may still come before it counts as overdue. */
export const DEFAULT_DRILL_GRACE_MS = 14 * 86_400_000;

/** The newest drill that ended `completed` with the application in its scope. */
export interface DrillRecord {
  runId: string;
  /** When it ended. */
  at: number;
}

/** A calendar schedule that asks for (or runs) a drill covering the application. */
export interface DrillSchedule {
  name: string;
  cron: string;
  timezone: string;
}

/**
 * Drill: the last successful drill of the application (a tier's drill covers each of its
 * applications) against the DR calendar. The calendar's drill schedules say how often one is due:
 * the longest gap between two of their occurrences; without one, the seed's quarterly drill. A drill
 * older than that plus a grace is overdue; none on record at all is too. Both are `degraded`:
 * nothing says the DR site would not serve, only that nobody has shown it does lately.
 */
export function judgeDrill(input: {
  application: string;
  tier: string;
  last: Read<DrillRecord | undefined>;
  schedules: readonly DrillSchedule[];
  graceMs?: number;
  now: number;
}): ReadinessFinding {
  const { now } = input;
  if (!isRead(input.last))
    return {
      check: "drill",
      verdict: "unknown",
      summary: `the run history could not be read for ${input.application}'s last drill`,
      evidence: [input.last.error],
      action: "make drbot's Redis answer (the run history lives there)",
    };
  const grace = input.graceMs ?? DEFAULT_DRILL_GRACE_MS;
  const gaps = input.schedules.map((s) => ({ schedule: s, every: longestGap(s.cron) }));
  const strictest = gaps.reduce<(typeof gaps)[number] | undefined>(
    (best, g) => (best === undefined || g.every < best.every ? g : best),
    undefined,
  );
  const every = strictest?.every ?? SEED_DRILL_EVERY_MS;
  const asked = strictest
    ? `the calendar asks for one every ${formatMs(every)} (${strictest.schedule.name}: ${strictest.schedule.cron})`
    : `no calendar schedule drills ${input.tier}: the seed asks for one every quarter`;
  const next = strictest
    ? nextOccurrence(strictest.schedule.cron, strictest.schedule.timezone, now)
    : undefined;
  const nextLine = next !== undefined ? [`next scheduled: ${new Date(next).toISOString()}`] : [];
  const last = input.last.value;
  if (!last)
    return {
      check: "drill",
      verdict: "degraded",
      summary: `no drill on record for ${input.application} (${input.tier})`,
      evidence: [asked, ...nextLine],
      action: `run a drill of ${input.tier} (/dr drill ${input.tier})`,
    };
  const age = now - last.at;
  const ran = `last successful drill ${formatMs(age)} ago (${last.runId}, ${new Date(last.at).toISOString()})`;
  if (age > every + grace)
    return {
      check: "drill",
      verdict: "degraded",
      summary: `drill overdue for ${input.application}: ${ran}`,
      evidence: [
        asked,
        `overdue after ${formatMs(every + grace)} (${formatMs(grace)} of grace)`,
        ...nextLine,
      ],
      action: `run a drill of ${input.tier} (/dr drill ${input.tier})`,
    };
  return { check: "drill", verdict: "ready", summary: ran, evidence: [asked, ...nextLine] };
}
