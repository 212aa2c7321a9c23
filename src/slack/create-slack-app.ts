import { App, HTTPReceiver, LogLevel, type Receiver } from "@slack/bolt";
import { WebClient } from "@slack/web-api";
import type { DrService } from "../app/dr-service.js";
import { RunReports } from "../app/report/run-reports.js";
import { storeArtifacts } from "../app/store-artifacts.js";
import { type EnvironmentVariables, slackMode } from "../config/environment.js";
import type { Clock } from "../ports/clock.js";
import type { Directory } from "../ports/directory.js";
import { type Logger, silentLogger } from "../ports/logger.js";
import type { RunStore } from "../ports/run-store.js";
import { AckGate } from "./ack-gate.js";
import { AppHomePublisher } from "./app-home-publisher.js";
import { authorizeBot } from "./authorize-bot.js";
import { boltLogger } from "./bolt-logger.js";
import { fetchWithDeadline } from "./fetch-with-deadline.js";
import { handleAppErrors } from "./handle-app-errors.js";
import { registerActionListeners } from "./listeners/action-listeners.js";
import { registerConfirmRun } from "./listeners/confirm-run-listener.js";
import { registerDrCommand } from "./listeners/dr-command.js";
import { registerRejectListeners } from "./listeners/reject-listeners.js";
import { ReplayGuard } from "./replay-guard.js";
import type { SlackFailure } from "./slack-failure.js";
import { SlackReportPublisher } from "./slack-report-publisher.js";
import { SlackRunNotifier } from "./slack-run-notifier.js";
import { signedRequestOf } from "./slack-witness.js";

export interface SlackSettings {
  mode: "http" | "socket";
  botToken: string;
  signingSecret?: string;
  appToken?: string;
  apiUrl?: string;
  port?: number;
  /** The fetch the WebClient uses (the metrics wrap it to count errors and 429s). */
  fetch?: typeof fetch;
  /** How long a post to a response_url may take before it is given up (default 10 s). */
  responseUrlTimeoutMs?: number;
  /** Pacing of a run's message updates: the least interval, and the longest wait while Slack fails. */
  runUpdates?: { minIntervalMs?: number; maxBackoffMs?: number };
  /** How long changes are gathered before the Home tab is published again (default 5 s). */
  homeDebounceMs?: number;
  /** How often the Home tab looks for a newer readiness round while someone has it (default 30 s). */
  homeReadinessCheckMs?: number;
  /** Interface to listen on (HTTP mode); all interfaces when left out, 127.0.0.1 for the demo. */
  host?: string;
}

/**
 * The Slack settings from the parsed environment, or undefined without a bot token. The environment
 * was checked at start-up (src/config/environment.ts), so what each mode needs is there.
 */
export function slackSettingsFromEnv(env: EnvironmentVariables): SlackSettings | undefined {
  const mode = slackMode(env);
  if (!mode || !env.SLACK_BOT_TOKEN) return undefined;
  return {
    mode,
    botToken: env.SLACK_BOT_TOKEN,
    ...(env.SLACK_SIGNING_SECRET ? { signingSecret: env.SLACK_SIGNING_SECRET } : {}),
    ...(env.SLACK_APP_TOKEN ? { appToken: env.SLACK_APP_TOKEN } : {}),
    ...(env.SLACK_API_URL ? { apiUrl: env.SLACK_API_URL } : {}),
    port: env.PORT,
    host: env.BIND_ADDRESS,
  };
}

export interface SlackSurface {
  app: App;
  notifier: SlackRunNotifier;
  /** drbot's Home tab, republished when runs change state: attach it to the run observers. */
  home: AppHomePublisher;
  /** Posts each drill's and failover's report when it ends; attach it to the run observers. */
  reports: SlackReportPublisher;
  client: WebClient;
  /** The surface's logger (component "slack"), for listeners registered beside the built-in ones. */
  log: Logger;
  /** Acks first: listeners registered beside the built-in ones await it after their ack too. */
  acks: AckGate;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const EVENTS_PATH = "/slack/events";

/**
 * The Slack surface: Bolt in HTTP mode (one endpoint, /slack/events, signatures verified, replays
 * refused; nothing else on that port: operations endpoints are on the management listener) or
 * Socket Mode. Listeners ack first and work once the requests that arrived with theirs are acked
 * (AckGate); everything goes through the use cases.
 * What no person in Slack can be told (failed report uploads and response_url posts, refused
 * replays, unexpected errors with their reference, Bolt's own warnings) goes to `deps.log`.
 */
export function createSlackApp(
  settings: SlackSettings,
  deps: {
    service: DrService;
    store: RunStore;
    clock: Clock;
    directory?: Directory;
    reports?: RunReports;
    log?: Logger;
    /** Told when Slack refuses a run's messages for good (the metrics count it). */
    onRunUpdatesStopped?: (runId: string, failure: SlackFailure) => void;
  },
): SlackSurface {
  const log = (deps.log ?? silentLogger).child({ component: "slack" });
  // Bolt's respond() uses this fetch too, and gives its posts no deadline: this one does.
  const fetch = fetchWithDeadline(
    settings.fetch ?? globalThis.fetch,
    settings.responseUrlTimeoutMs ?? 10_000,
    log,
  );
  const logger = boltLogger(log);
  const clientOptions = {
    ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}),
    fetch,
    logger,
    // Honour Retry-After on 429 and retry a few times; every call has a deadline.
    retryConfig: { retries: 5, factor: 1.5, minTimeout: 200, maxTimeout: 5_000 },
    timeout: 10_000,
  };
  let receiver: Receiver | undefined;
  const acks = new AckGate();
  if (settings.mode === "http") {
    const http = new HTTPReceiver({
      logger,
      logLevel: LogLevel.WARN,
      signingSecret: settings.signingSecret!,
      endpoints: EVENTS_PATH,
      processBeforeResponse: false,
      // The replay guard in front checks every signature (once, the same rules and stricter):
      // nothing unsigned reaches Bolt, and Bolt does not spend a second check on each request.
      signatureVerification: false,
      port: settings.port ?? 3000,
      // Each listener gets the request exactly as Slack signed it: the proof kept with the action.
      customPropertiesExtractor: signedRequestOf,
    });
    // Socket Mode needs no guard: its envelopes come over a connection the app opened itself.
    new ReplayGuard({
      store: deps.store,
      clock: deps.clock,
      signingSecret: settings.signingSecret!,
      log,
    }).protect(http, EVENTS_PATH);
    // Outermost, so a request counts from its arrival, before the guard reads its body.
    acks.watch(http, EVENTS_PATH);
    receiver = http;
  }
  // The bot's client, with its token, for everything drbot sends on its own (run messages, reports,
  // the watcher's alerts); listeners get one per request from Bolt, built from authorize's answer.
  const client = new WebClient(settings.botToken, clientOptions);
  const app = new App({
    authorize: authorizeBot(client, settings.botToken),
    ...(receiver
      ? { receiver }
      : { socketMode: true, appToken: settings.appToken!, installerOptions: { clientOptions } }),
    clientOptions,
    logger,
    logLevel: LogLevel.WARN,
    extendedErrorHandler: true,
    // No conversation state is kept in Bolt: its in-memory store cost every request a failed
    // lookup (a new Error) before the listener could ack.
    convoStore: false,
  });
  handleAppErrors(app, { log, fetch });
  const defaultChannel = deps.service.config.slack.incidentChannels[0];
  const notifier = new SlackRunNotifier({
    client,
    store: deps.store,
    clock: deps.clock,
    ...(defaultChannel ? { defaultChannel } : {}),
    ...settings.runUpdates,
    log,
    ...(deps.onRunUpdatesStopped ? { onUpdatesStopped: deps.onRunUpdatesStopped } : {}),
  });
  const reports =
    deps.reports ??
    new RunReports({ service: deps.service, artifacts: storeArtifacts(deps.store), clock: deps.clock });
  const publisher = new SlackReportPublisher(client, reports, defaultChannel, log);
  const commandDeps = { service: deps.service, notifier, clock: deps.clock, reports, client, log, acks };
  registerDrCommand(app, commandDeps);
  registerConfirmRun(app, { ...commandDeps, store: deps.store });
  const home = new AppHomePublisher({
    client,
    service: deps.service,
    notifier,
    clock: deps.clock,
    log,
    ...(settings.homeDebounceMs !== undefined ? { debounceMs: settings.homeDebounceMs } : {}),
    ...(settings.homeReadinessCheckMs !== undefined
      ? { readinessCheckMs: settings.homeReadinessCheckMs }
      : {}),
  });
  app.event("app_home_opened", async ({ event }) => {
    if (event.tab !== "home") return;
    await acks.settled();
    await home.opened(event.user);
  });
  registerActionListeners(app, { service: deps.service, log, acks, clock: deps.clock });
  registerRejectListeners(app, { service: deps.service, notifier, log, acks, clock: deps.clock });
  return {
    app,
    notifier,
    home,
    reports: publisher,
    client,
    log,
    acks,
    async start() {
      const port = settings.port ?? 3000;
      await app.start(settings.host ? { port, host: settings.host } : port);
    },
    async stop() {
      notifier.stopClocks();
      home.stop();
      await app.stop();
    },
  };
}
