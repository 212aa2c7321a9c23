import { z } from "zod";
import { parseCron } from "./calendar.js";
import { durationSchema } from "./duration.js";

/**
 * Configuration of the watcher (failure detection of the primary) and of the DR test calendar.
 * Both run only in the replica holding the leader lease.
 */
const channelSchema = z.string().regex(/^[CG][A-Z0-9]{2,}$/, "a Slack channel ID like C012ABCDEF");
const runbookName = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/,
    "a runbook name (lowercase letters, digits, '.', '_', '-')",
  );

/**
 * The readiness round (would the DR site serve each application now?): made by the leader at this
 * interval, each round cut at its deadline, what did not read by then reported as unknown.
 */
export const readinessRoundSchema = z
  .object({
    /** How often the leader makes a round (and once right after a failover, failback or drill ends). */
    interval: durationSchema.default(300_000),
    /** A round still reading by then is cut: the checks that did not read are unknown. */
    deadline: durationSchema.default(60_000),
  })
  .strict()
  .refine((r) => r.deadline <= r.interval, {
    message: "deadline must not be longer than interval: a round must end before the next one",
    path: ["deadline"],
  })
  .refine((r) => r.deadline >= 1_000, { message: "deadline must be at least 1s", path: ["deadline"] })
  .prefault({});

export const watchSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** How often the primary is probed (the seed's script checks every minute). */
    interval: durationSchema.default(15_000),
    /** Failed rounds in a row before the alert (the seed's FAILURE_THRESHOLD is 3). */
    failureThreshold: z.number().int().min(1).max(100).default(3),
    /**
     * How long a probe's failures in a row must span, besides their count, before it counts as down:
     * evidence over time, however often it probes. Default: failureThreshold − 1 intervals (the
     * count alone). The alert needs two probes down (half of them past four); fewer need twice both
     * (see probe-tracker).
     */
    confirmFor: durationSchema.optional(),
    /** Successful rounds in a row, for every probe, before the alert clears: no flapping. */
    recoveryThreshold: z.number().int().min(1).max(100).default(3),
    /** A probe that has not answered by then failed: a hung API server counts as down. */
    probeTimeout: durationSchema.default(5_000),
    /** Probe the applications' health checks of the primary (site unset or the primary) too. */
    healthChecks: z.boolean().default(true),
    /** Where alerts go; defaults to the first incident channel. */
    channel: channelSchema.optional(),
    /** The leader lease: another replica takes over within about this long after the leader dies. */
    leaseTtl: durationSchema.default(10_000),
    readiness: readinessRoundSchema,
  })
  .strict()
  .refine((w) => w.probeTimeout <= w.interval, {
    message: "probeTimeout must not be longer than interval: a round must end before the next one",
    path: ["probeTimeout"],
  })
  .refine((w) => w.leaseTtl >= 1_000, { message: "leaseTtl must be at least 1s", path: ["leaseTtl"] })
  .prefault({});

const cronSchema = z.string().superRefine((value, ctx) => {
  try {
    parseCron(value);
  } catch (error) {
    ctx.addIssue({
      code: "custom",
      message: `"${value}" is not a cron expression (${error instanceof Error ? error.message : String(error)}); write it like "0 6 * * MON"`,
    });
  }
});

export const scheduleSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "lowercase letters, digits and '-'"),
    cron: cronSchema,
    /** Runs this runbook by itself (for example backup-verify); its results are posted to the channel. */
    run: runbookName.optional(),
    /** Posts a reminder with a button that requests this runbook (for example the quarterly drill). */
    remind: runbookName.optional(),
    /** Tiers or applications the run or the reminder's request covers; empty means all. */
    targets: z.array(z.string().min(1).max(63)).default([]),
    text: z.string().min(1).max(500).optional(),
    channel: channelSchema.optional(),
  })
  .strict()
  .refine((s) => (s.run === undefined) !== (s.remind === undefined), {
    message: "give either run: RUNBOOK or remind: RUNBOOK",
  });

export const calendarSchema = z
  .object({
    timezone: z
      .string()
      .default("UTC")
      .refine(
        (tz) => {
          try {
            new Intl.DateTimeFormat("en", { timeZone: tz });
            return true;
          } catch {
            // Intl refuses a zone it does not know; the refinement's message says what to write.
            return false;
          }
        },
        { message: "not a time zone; write it like UTC or Europe/Berlin" },
      ),
    /** How often the leader looks for due schedules. */
    checkEvery: durationSchema.default(30_000),
    schedules: z.array(scheduleSchema).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.schedules.forEach((s, i) => {
      if (seen.has(s.name))
        ctx.addIssue({
          code: "custom",
          path: ["schedules", i, "name"],
          message: `duplicate name "${s.name}"`,
        });
      seen.add(s.name);
    });
  })
  .prefault({});

export type WatchConfig = z.output<typeof watchSchema>;
export type CalendarConfig = z.output<typeof calendarSchema>;
export type ScheduleConfig = CalendarConfig["schedules"][number];
