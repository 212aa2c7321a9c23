import type { Config } from "../domain/config.js";
import { servingSites } from "../domain/site-state.js";
import type { ArtifactStore } from "../ports/artifact-store.js";
import type { Clock } from "../ports/clock.js";
import type { LeaderLease } from "../ports/leader-lease.js";
import type { Logger } from "../ports/logger.js";
import type { AssessReadiness } from "../ports/readiness.js";
import type { ReadinessStore } from "../ports/readiness-store.js";
import type { RunStore } from "../ports/run-store.js";
import type { KubernetesServices } from "../ports/site.js";
import type { SiteStateStore } from "../ports/site-state.js";
import type { WatchNotifier } from "../ports/watch-notifier.js";
import type { AlertDispatcher } from "./alerts/alert-dispatcher.js";
import { RpoAlertMonitor } from "./alerts/rpo-alert-monitor.js";
import { DrCalendar, type ScheduleOutcome } from "./dr-calendar.js";
import type { DrService } from "./dr-service.js";
import { Leadership } from "./leadership.js";
import { recordRunsReadiness } from "./readiness/readiness-of-runs.js";
import { ReadinessRound } from "./readiness/readiness-round.js";
import { servingProbes } from "./serving-probes.js";
import { ServingWatcher, type ServingWatcherOptions } from "./serving-watcher.js";

export const LEADER_LEASE = "watch";

export interface WatchDeps {
  config: Config;
  service: DrService;
  store: Pick<RunStore, "kvGet" | "kvSet">;
  clock: Clock;
  /** The sites, probed through their health(); without them nothing is watched. */
  sites?: KubernetesServices;
  /** Which site serves each application: the watcher probes those that serve. */
  siteState: Pick<SiteStateStore, "current">;
  lease: LeaderLease;
  notifier: WatchNotifier;
  /** Unique to this replica. */
  token: string;
  /** Where the leader's work says what it does and what failed. */
  log: Logger;
  /** Told about every probing round (tests, metrics). */
  onRound?: ServingWatcherOptions["onRound"];
  /** Email and webhooks: with any channel for them, the leader also watches RPO breaches and lag. */
  alerts?: AlertDispatcher;
  /** The readiness checks and where their rounds are kept: with them, the leader makes the rounds. */
  readiness?: { assess: AssessReadiness; store: ReadinessStore; artifacts: ArtifactStore };
}

export interface WatchHandle {
  leadership: Leadership;
  watcher: ServingWatcher | undefined;
  calendar: DrCalendar | undefined;
  rpoAlerts: RpoAlertMonitor | undefined;
  readiness: ReadinessRound | undefined;
  /** Stops watching and releases the lease so another replica takes over at once. */
  stop(): Promise<void>;
  /** Stops without releasing the lease, like a crash (tests of the takeover). */
  abandon(): Promise<void>;
}

/**
 * Starts the leader's work in this replica: every replica competes for the lease; the one holding it
 * probes the sites that serve, runs the calendar, watches RPO breaches for the alert channels and makes
 * the readiness rounds, and stops them the moment it loses the lease.
 * Throws DrError("invalid_config") when the calendar names a runbook that is not loaded.
 */
export function startWatch(d: WatchDeps): WatchHandle {
  const channel = d.config.watch.channel ?? d.config.slack.incidentChannels[0] ?? "";
  const report = (operation: string) => (error: unknown) =>
    d.log.error(`${operation} failed; it goes on at its next round`, { operation, err: error });
  if (d.config.calendar.schedules.length > 0) DrCalendar.check(d.config.calendar, d.service);
  // When each schedule is next due, said again only when it changes (and by each new leader): the
  // log shows the calendar is alive and what it will do, without a line every check.
  const announced = new Map<string, number | undefined>();
  const sites = d.sites;
  const watcher =
    d.config.watch.enabled && sites
      ? new ServingWatcher({
          probes: async () =>
            servingProbes(d.config, servingSites(d.config, await d.siteState.current()), sites),
          intervalMs: d.config.watch.interval,
          probeTimeoutMs: d.config.watch.probeTimeout,
          failureThreshold: d.config.watch.failureThreshold,
          recoveryThreshold: d.config.watch.recoveryThreshold,
          ...(d.config.watch.confirmFor !== undefined ? { confirmForMs: d.config.watch.confirmFor } : {}),
          clock: d.clock,
          store: d.store,
          notifier: d.notifier,
          channel,
          onError: report("watch.probe"),
          ...(d.onRound ? { onRound: d.onRound } : {}),
        })
      : undefined;
  const calendar =
    d.config.calendar.schedules.length > 0
      ? new DrCalendar({
          calendar: d.config.calendar,
          service: d.service,
          store: d.store,
          clock: d.clock,
          notifier: d.notifier,
          channel,
          onError: report("calendar.check"),
          onOutcome: (outcome) =>
            (outcome.action === "failed" ? d.log.warn : d.log.info)(describeOutcome(outcome), {
              operation: "calendar.run",
            }),
          onChecked: (schedule, next) => {
            if (announced.has(schedule) && announced.get(schedule) === next) return;
            announced.set(schedule, next);
            d.log.info(`calendar: ${schedule} next due ${next === undefined ? "never" : iso(next)}`, {
              operation: "calendar.check",
            });
          },
        })
      : undefined;
  const alerts = d.alerts;
  const rpoAlerts =
    alerts && (alerts.wants("rpo") || alerts.wants("lag"))
      ? new RpoAlertMonitor({
          config: d.config,
          readRpo: () => d.service.rpo(),
          store: d.store,
          alerts,
          clock: d.clock,
          intervalMs: d.config.notifications.checkEvery,
          onError: report("alerts.rpo"),
        })
      : undefined;
  const checks = d.readiness;
  const readiness = checks
    ? new ReadinessRound({
        assess: checks.assess,
        store: checks.store,
        scope: {
          tiers: d.config.tiers.map((t) => t.name),
          applications: d.config.applications.map((a) => ({ name: a.name, tier: a.tier })),
        },
        clock: d.clock,
        intervalMs: d.config.watch.readiness.interval,
        deadlineMs: d.config.watch.readiness.deadline,
        token: d.token,
        log: d.log.child({ component: "readiness" }),
        onKept: (report, requests) => recordRunsReadiness(checks.artifacts, report, requests),
      })
    : undefined;
  const leadership = new Leadership({
    lease: d.lease,
    name: LEADER_LEASE,
    token: d.token,
    ttlMs: d.config.watch.leaseTtl,
    onGained: () => {
      d.log.info(
        `leading: watching ${sites ? "the sites that serve" : "nothing"} and running the DR calendar (${d.token})`,
        {
          operation: "watch.lead",
        },
      );
      announced.clear();
      watcher?.start();
      calendar?.start();
      rpoAlerts?.start();
      readiness?.start();
    },
    onLost: () => {
      d.log.info(`no longer leading (${d.token})`, { operation: "watch.lead" });
      void watcher?.stop();
      void calendar?.stop();
      void rpoAlerts?.stop();
      void readiness?.stop();
    },
    onError: report("watch.lease"),
  });
  leadership.start();
  const halt = async (release: boolean) => {
    await (release ? leadership.stop() : leadership.abandon());
    await Promise.all([watcher?.stop(), calendar?.stop(), rpoAlerts?.stop(), readiness?.stop()]);
  };
  return {
    leadership,
    watcher,
    calendar,
    rpoAlerts,
    readiness,
    stop: () => halt(true),
    abandon: () => halt(false),
  };
}

const iso = (at: number) => new Date(at).toISOString();

/** One log line per thing the calendar did. */
function describeOutcome(o: ScheduleOutcome): string {
  switch (o.action) {
    case "baseline":
      return `calendar: ${o.schedule} seen for the first time: baseline recorded, earlier occurrences are not run`;
    case "ran":
      return `calendar: ${o.schedule} due ${iso(o.occurrence)}: requested ${o.runId}`;
    case "reminded":
      return `calendar: ${o.schedule} due ${iso(o.occurrence)}: reminder ${o.reminderId} posted`;
    case "failed":
      return `calendar: ${o.schedule} due ${iso(o.occurrence)} failed: ${o.message}`;
  }
}
