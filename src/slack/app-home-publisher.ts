import type { WebClient } from "@slack/web-api";
import { answerWithin } from "../app/answer-within.js";
import type { DrService } from "../app/dr-service.js";
import { nextOccurrence } from "../domain/calendar.js";
import type { RunEvent, RunRecord } from "../domain/run.js";
import type { Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { RunObserver } from "../ports/run-observer.js";
import type { SlackRunNotifier } from "./slack-run-notifier.js";
import { type AppHomeInput, appHomeView } from "./views/app-home-view.js";

/** Each read for the Home tab has this long; what is not read in time is shown as unknown. */
const READ_MS = 1_500;

/**
 * Publishes drbot's Home tab (src/slack/views/app-home-view.ts) to each person when they open it,
 * and again to everyone who opened it when a run changes state (which is also how serving changes),
 * coalesced: one republish at most every `debounceMs` whatever the number of runs and steps, each
 * person in turn (views.publish is Tier 4, about 100 a minute; the WebClient waits out a 429's
 * Retry-After). Never per step.
 */
export class AppHomePublisher implements RunObserver {
  private readonly viewers = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private roundWatch: NodeJS.Timeout | undefined;
  /** When the readiness round last shown was made (none: no round shown yet). */
  private shownReadAt: number | undefined;
  private publishing: Promise<void> = Promise.resolve();

  constructor(
    private readonly d: {
      client: WebClient;
      service: DrService;
      notifier: Pick<SlackRunNotifier, "refs">;
      clock: Clock;
      log: Logger;
      debounceMs?: number;
      /** How often the kept readiness round is looked at for a newer one (default 30 s). */
      readinessCheckMs?: number;
    },
  ) {}

  /** A person opened the Home tab: they get it now, and its updates from now on. */
  opened(userId: string): Promise<void> {
    this.viewers.add(userId);
    this.watchRounds();
    return this.enqueue([userId]);
  }

  /**
   * A readiness round is made by the watch leader, maybe in another process: while someone has the
   * tab, the kept round is looked at (one bounded Redis read) and a newer one republishes the tab.
   */
  private watchRounds(): void {
    if (this.roundWatch) return;
    this.roundWatch = setInterval(() => void this.checkRound(), this.d.readinessCheckMs ?? 30_000);
    this.roundWatch.unref();
  }

  private async checkRound(): Promise<void> {
    if (this.viewers.size === 0) return;
    const kept = await this.d.service.readiness(READ_MS, "slack.app-home");
    if (kept?.state === "read" && kept.report.readAt !== this.shownReadAt) this.changed();
  }

  /** Something shown changed: everyone who opened the tab gets it again, coalesced. */
  changed(): void {
    if (this.timer || this.viewers.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.enqueue([...this.viewers]);
    }, this.d.debounceMs ?? 5_000);
    this.timer.unref();
  }

  onRunEvent(event: RunEvent): void {
    if (event.type.startsWith("run.")) this.changed();
  }

  /** Waits for the publishes under way (tests, shutdown). */
  idle(): Promise<void> {
    return this.publishing;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    clearInterval(this.roundWatch);
    this.roundWatch = undefined;
  }

  private enqueue(users: string[]): Promise<void> {
    this.publishing = this.publishing.then(() => this.publish(users));
    return this.publishing;
  }

  private async publish(users: string[]): Promise<void> {
    let view: ReturnType<typeof appHomeView>;
    try {
      const input = await this.read();
      if (input.readiness?.state === "read") this.shownReadAt = input.readiness.report.readAt;
      view = appHomeView(input);
    } catch (error) {
      this.d.log.error("could not make the Home tab", { operation: "slack.app-home", err: error });
      return;
    }
    for (const user of users) {
      try {
        await this.d.client.views.publish({ user_id: user, view });
      } catch (error) {
        this.d.log.warn("could not publish the Home tab", { operation: "slack.app-home", user, err: error });
      }
    }
  }

  private async read(): Promise<AppHomeInput> {
    const s = this.d.service;
    const now = this.d.clock.now();
    const quietly = <T>(what: string, work: Promise<T>, fallback: T): Promise<T> =>
      answerWithin(
        work.catch((error: unknown) => {
          this.d.log.warn(`could not read ${what} for the Home tab`, {
            operation: "slack.app-home",
            err: error,
          });
          return fallback;
        }),
        READ_MS,
        fallback,
      );
    const [readiness, serving, active, recent] = await Promise.all([
      s.readiness(READ_MS, "slack.app-home"),
      quietly(
        "the site state",
        s.serving().then((x) => x.applications),
        undefined,
      ),
      quietly("the active runs", s.activeRuns(), [] as RunRecord[]),
      quietly("the recent runs", s.runs(10), [] as RunRecord[]),
    ]);
    const links = new Map<string, string>();
    await Promise.all(
      active.slice(0, 10).map(async (run) => {
        const link = await quietly("a run's card address", this.cardLink(run.id), undefined);
        if (link) links.set(run.id, link);
      }),
    );
    const calendar = s.config.calendar;
    const upcoming = calendar.schedules.flatMap((schedule) => {
      const at = nextOccurrence(schedule.cron, calendar.timezone, now);
      const runbook = schedule.run ?? schedule.remind ?? "";
      return at === undefined ? [] : [{ schedule: schedule.name, runbook, at, reminder: !schedule.run }];
    });
    return {
      now,
      readiness,
      tiers: s.config.tiers.map((t) => t.name),
      serving,
      active,
      links,
      upcoming,
      recent: recent.filter((r) => !active.some((a) => a.id === r.id)),
    };
  }

  private async cardLink(runId: string): Promise<string | undefined> {
    const refs = await this.d.notifier.refs(runId);
    if (!refs?.cardTs) return undefined;
    const answer = await this.d.client.chat.getPermalink({ channel: refs.channel, message_ts: refs.cardTs });
    return answer.permalink;
  }
}
