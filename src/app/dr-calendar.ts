import { decideSchedule } from "../domain/calendar.js";
import { DrError } from "../domain/errors.js";
import type { CalendarConfig, ScheduleConfig } from "../domain/watch-config.js";
import type { Clock } from "../ports/clock.js";
import type { RunStore } from "../ports/run-store.js";
import type { WatchNotifier } from "../ports/watch-notifier.js";
import { type DrService, SCHEDULE_ACTOR } from "./dr-service.js";

export const lastRunKey = (schedule: string) => `calendar:${schedule}:last`;
export const reminderKey = (id: string) => `calendar:reminder:${id}`;
const REMINDER_TTL_MS = 120 * 86_400_000;

export type ScheduleOutcome =
  | { schedule: string; action: "baseline"; next: number | undefined }
  | { schedule: string; action: "ran"; runId: string; occurrence: number }
  | { schedule: string; action: "reminded"; reminderId: string; occurrence: number }
  | { schedule: string; action: "failed"; occurrence: number; message: string };

export interface DrCalendarOptions {
  calendar: CalendarConfig;
  service: DrService;
  store: Pick<RunStore, "kvGet" | "kvSet">;
  clock: Clock;
  notifier: WatchNotifier;
  /** Where posts go when a schedule names no channel. */
  channel: string;
  onError?: (error: unknown) => void;
  onOutcome?: (outcome: ScheduleOutcome) => void;
  /** Told on every check of a schedule when it is next due (undefined: never again). */
  onChecked?: (schedule: string, next: number | undefined) => void;
}

/**
 * The DR test calendar from the seed (weekly backup verification, monthly restore test, quarterly
 * drill), run by the leader. A due schedule is marked handled in the store before it acts, so a
 * crash or a restart never repeats it, and occurrences missed while drbot was down are handled once.
 * `run:` schedules request their runbook through the normal path (the run's channel shows its
 * progress and results); `remind:` schedules post a reminder whose button requests the runbook as
 * the person who clicks, so approvals apply as always.
 */
export class DrCalendar {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;

  constructor(private readonly o: DrCalendarOptions) {}

  /** Refuses schedules that name runbooks which are not loaded (checked at start-up). */
  static check(calendar: CalendarConfig, service: DrService): void {
    for (const s of calendar.schedules) {
      const runbook = service.runbook(s.run ?? s.remind!);
      if (s.run && runbook.kind !== "verify")
        throw new DrError(
          "invalid_config",
          `calendar schedule ${s.name} runs ${runbook.name}, a ${runbook.kind} runbook: only verify runbooks run by themselves; use remind: for the others`,
        );
    }
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Handles every due schedule once. */
  async tick(): Promise<ScheduleOutcome[]> {
    const outcomes: ScheduleOutcome[] = [];
    for (const schedule of this.o.calendar.schedules) {
      try {
        const outcome = await this.handle(schedule);
        if (outcome) {
          outcomes.push(outcome);
          this.o.onOutcome?.(outcome);
        }
      } catch (error) {
        this.o.onError?.(error);
      }
    }
    return outcomes;
  }

  private loop(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        this.loop(this.o.calendar.checkEvery);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async handle(s: ScheduleConfig): Promise<ScheduleOutcome | undefined> {
    const now = this.o.clock.now();
    const raw = await this.o.store.kvGet(lastRunKey(s.name));
    const lastRunAt = raw ? Number(raw) : undefined;
    const decision = decideSchedule({ cron: s.cron, timezone: this.o.calendar.timezone, lastRunAt, now });
    this.o.onChecked?.(s.name, decision.next);
    if (!decision.due) {
      if (!decision.baseline) return undefined;
      await this.o.store.kvSet(lastRunKey(s.name), String(now));
      return { schedule: s.name, action: "baseline", next: decision.next };
    }
    // Marked first: a crash from here on loses at most this one occurrence, never repeats it.
    await this.o.store.kvSet(lastRunKey(s.name), String(now));
    const channel = s.channel ?? this.o.channel;
    try {
      if (s.run) {
        const { run } = await this.o.service.request({
          actor: SCHEDULE_ACTOR,
          runbook: s.run,
          targets: s.targets,
          reason: `scheduled by the DR test calendar: ${s.name} (${s.cron})`,
          source: "schedule",
          channel,
          dedupeKey: `schedule:${s.name}:${decision.occurrence}`,
        });
        return { schedule: s.name, action: "ran", runId: run.id, occurrence: decision.occurrence };
      }
      const runbook = this.o.service.runbook(s.remind!);
      const reminderId = `${s.name}-${decision.occurrence.toString(36)}`;
      const reminder = {
        id: reminderId,
        schedule: s.name,
        runbook: runbook.name,
        targets: s.targets,
        text: s.text ?? `Time for the scheduled ${runbook.title}.`,
        channel,
        at: now,
      };
      await this.o.store.kvSet(reminderKey(reminderId), JSON.stringify(reminder), { ttlMs: REMINDER_TTL_MS });
      await this.o.notifier.reminder(reminder);
      return { schedule: s.name, action: "reminded", reminderId, occurrence: decision.occurrence };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await this.o.notifier.scheduleFailed(s.name, channel, message).catch((e) => this.o.onError?.(e));
      return { schedule: s.name, action: "failed", occurrence: decision.occurrence, message };
    }
  }
}
