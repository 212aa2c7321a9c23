import { DrbotMetrics } from "../adapters/metrics/drbot-metrics.js";
import { alertingWatchNotifier } from "../app/alerts/alerting-watch-notifier.js";
import { retireFinishedRuns } from "../app/retire-finished-runs.js";
import { startWatch } from "../app/start-watch.js";
import { formatIssues } from "../config/yaml-issues.js";
import { logWatchNotifier } from "../ports/watch-notifier.js";
import type { Runtime } from "../runtime/create-runtime.js";
import { openLeaderLease } from "../runtime/open-leader-lease.js";
import { boltLogger } from "../slack/bolt-logger.js";
import { createSlackApp, type SlackSurface, slackSettingsFromEnv } from "../slack/create-slack-app.js";
import { registerWatchListeners } from "../slack/listeners/watch-listeners.js";
import { SlackAlertChannel } from "../slack/slack-alert-channel.js";
import { directoryClient, SlackDirectory } from "../slack/slack-directory.js";
import { SlackPeopleNames } from "../slack/slack-people-names.js";
import { SlackWatchNotifier } from "../slack/slack-watch-notifier.js";
import type { CliIo } from "./commands/cli-command.js";
import { startManagementServer } from "./management-server.js";
import { type SupervisorState, serveRoutes } from "./serve-routes.js";
import { listenForStopSignals } from "./stop-signals.js";

/**
 * `drbot serve`: the long-running process. The Slack surface when SLACK_BOT_TOKEN is set (HTTP on
 * PORT, serving /slack/events only, or Socket Mode); /healthz, /readyz and /metrics on the
 * management listener (MANAGEMENT_PORT), always; the supervisor that takes over runs whose owner
 * died and expires stale requests; finished runs retired after their retention; and the report of
 * every drill and failover posted to its channel when it ends.
 */
const SHUTDOWN_REPORTS_MS = 15_000;
/** How often finished runs past their retention are looked for. */
const RETIRE_EVERY_MS = 10 * 60_000;

export async function serve(rt: Runtime, io: CliIo): Promise<number> {
  const port = rt.env.PORT;
  const log = rt.log;
  let supervisor: SupervisorState = "not_yet_run";
  // Installed first: a takeover at start may already run a step's program.
  const signals = listenForStopSignals();
  if (rt.runbookFindings.length > 0)
    log.warn(
      `runbooks: what the configuration does not give them (\`drbot validate\` lists the same; requests refused with it):\n${formatIssues(rt.runbookFindings)}`,
      { operation: "serve.check-runbooks", findings: rt.runbookFindings.length },
    );
  const metrics = new DrbotMetrics(
    rt.config,
    {
      status: () => rt.service.status(),
      runSummary: () => rt.store.runSummary(),
      readiness: () => rt.readiness.latest(),
    },
    { processMetrics: true, log: log.child({ component: "metrics" }), now: () => rt.clock.now() },
  );
  rt.observers.attach(metrics);
  const routes = serveRoutes(rt, metrics, () => supervisor, {
    onConfigFile: (check) =>
      (check.state === "invalid" || check.state === "unreadable" ? log.warn : log.info)(check.line, {
        operation: "serve.config-file",
      }),
  });
  const settings = slackSettingsFromEnv(rt.env);
  let surface: SlackSurface | undefined;
  const management = await startManagementServer(routes, {
    port: rt.env.MANAGEMENT_PORT,
    host: rt.env.BIND_ADDRESS,
    log,
  });
  if (settings) {
    const groups = () => [
      ...new Set(
        Object.values(rt.config.slack.permissions).flatMap((p) => [
          ...p.requesters.groups,
          ...p.approvers.groups,
        ]),
      ),
    ];
    const fetch = metrics.slack.instrumentFetch();
    rt.directory.use(
      new SlackDirectory({
        client: directoryClient(settings.botToken, {
          ...(settings.apiUrl ? { apiUrl: settings.apiUrl } : {}),
          fetch,
          logger: boltLogger(log.child({ component: "slack-directory" })),
        }),
        groups,
        log: log.child({ component: "slack-directory" }),
        cacheTtlMs: rt.config.slack.directoryCacheTtl,
      }),
    );
    rt.names.use(
      new SlackPeopleNames(
        directoryClient(settings.botToken, {
          ...(settings.apiUrl ? { apiUrl: settings.apiUrl } : {}),
          fetch,
        }),
        { log: log.child({ component: "slack-names" }) },
      ),
    );
    surface = createSlackApp(
      { ...settings, fetch },
      {
        service: rt.service,
        store: rt.store,
        clock: rt.clock,
        reports: rt.reports,
        log,
        onRunUpdatesStopped: (_runId, failure) => metrics.slack.runUpdatesStopped(failure.code),
      },
    );
    rt.observers.attach(surface.notifier);
    rt.observers.attach(surface.home);
    rt.observers.attach(surface.reports);
    const notifier = surface.notifier;
    rt.notices.attach((notice) => notifier.postNotice(notice));
    // RPO breaches and replication lag are posted in the incident channel as well.
    const alertChannel = rt.config.watch.channel ?? rt.config.slack.incidentChannels[0];
    if (alertChannel)
      rt.alerts.addChannel(new SlackAlertChannel(surface.client, alertChannel), ["rpo", "lag"]);
    registerWatchListeners(surface.app, {
      service: rt.service,
      store: rt.store,
      notifier: surface.notifier,
      client: surface.client,
      log: surface.log,
      acks: surface.acks,
      clock: rt.clock,
    });
    await surface.start();
    io.out(
      `drbot serving Slack (${settings.mode} mode${settings.mode === "http" ? ` on :${port}` : ""}); management on :${management.port}; engine owner ${rt.engine.ownerId}`,
    );
  } else
    io.out(
      `drbot serving without Slack (SLACK_BOT_TOKEN is not set); management on :${management.port}; engine owner ${rt.engine.ownerId}`,
    );
  const supervise = async () => {
    try {
      await rt.service.supervise();
      if (supervisor !== "draining") supervisor = "ok";
    } catch (error) {
      if (supervisor !== "draining") supervisor = "failed";
      log.error("the supervisor's round failed; /readyz says not ready until one succeeds", {
        operation: "serve.supervise",
        err: error,
      });
    }
  };
  await supervise();
  const timer = setInterval(
    () => void supervise(),
    Math.max(1000, Math.floor(rt.config.engine.leaseTtl / 2)),
  );
  // Finished runs past their retention leave Redis (their report archived); any replica may do it.
  const retire = async () => {
    try {
      const outcome = await retireFinishedRuns({
        store: rt.store,
        buildReport: (runId) => rt.reports.buildLive(runId),
        retention: rt.config.redis.retention,
        now: rt.clock.now(),
      });
      for (const runId of outcome.retired)
        log.info("retired a finished run past its retention", { operation: "serve.retire", runId });
      for (const kept of outcome.kept)
        log.warn(`kept a finished run past its retention: ${kept.reason}`, {
          operation: "serve.retire",
          runId: kept.runId,
        });
    } catch (error) {
      log.error("could not retire finished runs; tried again in 10 minutes", {
        operation: "serve.retire",
        err: error,
      });
    }
  };
  void retire();
  const retireTimer = setInterval(() => void retire(), RETIRE_EVERY_MS);
  retireTimer.unref();
  // Failure detection and the DR calendar run in whichever replica holds the leader lease.
  const lease = await openLeaderLease(rt.config, rt.env, log);
  const hasChannel = Boolean(rt.config.watch.channel ?? rt.config.slack.incidentChannels[0]);
  const watch = startWatch({
    config: rt.config,
    service: rt.service,
    store: rt.store,
    clock: rt.clock,
    sites: rt.sites,
    siteState: rt.siteState,
    lease,
    // The watcher's alerts go to email and webhooks too, whatever Slack does.
    notifier: alertingWatchNotifier(
      surface && hasChannel
        ? new SlackWatchNotifier(surface.client, rt.store)
        : logWatchNotifier(log.child({ component: "watch" })),
      rt.alerts,
    ),
    alerts: rt.alerts,
    ...(rt.assessReadiness
      ? { readiness: { assess: rt.assessReadiness, store: rt.readiness, artifacts: rt.artifacts } }
      : {}),
    token: rt.engine.ownerId,
    log: log.child({ component: "watch" }),
  });
  const signal = await signals.first;
  // A drain: /readyz answers 503 at once (no new Slack traffic or runs are sent here), the
  // supervisor stops taking runs, steps in flight finish within engine.drainGrace, and each run's
  // lease is released for another replica to carry on. A second signal stops the steps at once.
  supervisor = "draining";
  clearInterval(timer);
  const grace = rt.config.engine.drainGrace;
  log.info(
    `${signal}: draining: steps in flight may finish within ${grace / 1000} s, then runs are handed over; a second signal stops them now`,
    { operation: "serve.drain", runs: rt.engine.executing().length },
  );
  void signals.second.then((again) => {
    log.warn(`${again} again: stopping the steps in flight now; the next executor re-observes them`, {
      operation: "serve.drain",
      runs: rt.engine.executing().length,
    });
    return rt.engine.stop();
  });
  await rt.engine.drain(grace);
  log.info("drained: every run this process held is handed over", { operation: "serve.drain" });
  await watch.stop();
  await lease.close();
  await rt.alerts.settle(rt.config.notifications.timeout);
  clearInterval(timer);
  clearInterval(retireTimer);
  if (surface) {
    const reports = surface.reports;
    await Promise.race([reports.idle(), new Promise((r) => setTimeout(r, SHUTDOWN_REPORTS_MS).unref())]);
  }
  await surface?.stop();
  await management.close();
  signals.dispose();
  return 0;
}
