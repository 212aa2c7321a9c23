import { Cron } from "croner";

/**
 * The DR test calendar's arithmetic, pure: time is passed in. A schedule is due when its next
 * occurrence after the last time it was handled has come. However many occurrences were missed
 * while drbot was down, that is one due schedule, handled once: the caller records `now` as the
 * last run before acting, so a restart never repeats it.
 */
export function parseCron(expression: string, timezone = "UTC"): Cron {
  return new Cron(expression, { timezone, paused: true });
}

/** The next occurrence strictly after `after` (epoch ms), or undefined when the pattern has none left. */
export function nextOccurrence(expression: string, timezone: string, after: number): number | undefined {
  return parseCron(expression, timezone).nextRun(new Date(after))?.getTime();
}

export type ScheduleDecision =
  /** Never handled before: `now` becomes the baseline, so installing drbot does not fire everything at once. */
  | { due: false; baseline: true; next: number | undefined }
  | { due: false; baseline: false; next: number | undefined }
  /** `occurrence` is the (first) missed or current occurrence being handled. */
  | { due: true; occurrence: number; next: number | undefined };

export function decideSchedule(input: {
  cron: string;
  timezone: string;
  lastRunAt: number | undefined;
  now: number;
}): ScheduleDecision {
  if (input.lastRunAt === undefined)
    return { due: false, baseline: true, next: nextOccurrence(input.cron, input.timezone, input.now) };
  const occurrence = nextOccurrence(input.cron, input.timezone, input.lastRunAt);
  if (occurrence !== undefined && occurrence <= input.now)
    return { due: true, occurrence, next: nextOccurrence(input.cron, input.timezone, input.now) };
  return { due: false, baseline: false, next: occurrence };
}
