import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { MemorySiteState } from "../../src/adapters/memory/memory-site-state.js";
import { DrService } from "../../src/app/dr-service.js";
import type { Config } from "../../src/domain/config.js";
import type { EvidenceVerdict } from "../../src/domain/evidence/run-evidence.js";
import type { RpoReading } from "../../src/domain/rpo.js";
import type { RunRecord } from "../../src/domain/run.js";
import type { Runbook } from "../../src/domain/runbook.js";
import type { SiteHealth } from "../../src/domain/site-health.js";
import {
  type EmulatedUser,
  type InteractionResult,
  SlackEmulator,
  type StoredMessage,
} from "../../src/emulator/slack-emulator.js";
import { RunEngine } from "../../src/engine/run-engine.js";
import type { AnyStepKind } from "../../src/engine/step-kind.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import type { Clock } from "../../src/ports/clock.js";
import { DirectoryRelay } from "../../src/ports/directory.js";
import { type Logger, silentLogger } from "../../src/ports/logger.js";
import { NoticeRelay } from "../../src/ports/notices.js";
import type { ReadinessSource } from "../../src/ports/readiness.js";
import { ObserverRelay } from "../../src/ports/run-observer.js";
import type { RunStore } from "../../src/ports/run-store.js";
import type { SiteStateStore } from "../../src/ports/site-state.js";
import { createSlackApp, type SlackSettings, type SlackSurface } from "../../src/slack/create-slack-app.js";
import { directoryClient, SlackDirectory } from "../../src/slack/slack-directory.js";
import type { SlackFailure } from "../../src/slack/slack-failure.js";
import { testConfig, testRunbook } from "./config-fixture.js";
import { typeDrCommand } from "./confirm-run.js";
import { effect, Ledger, ledgerStepKind } from "./engine-harness.js";
import { freePort } from "./redis-server.js";
import { waitFor } from "./wait-for.js";

export const INCIDENT = "C0INCIDENT";
export const RANDOM = "C0RANDOM";

export interface SlackHarness {
  emulator: SlackEmulator;
  surface: SlackSurface;
  service: DrService;
  engine: RunEngine;
  store: RunStore;
  /** Which site serves each application, as the service and the steps read and record it. */
  siteState: SiteStateStore;
  ledger: Ledger;
  config: Config;
  /**
   * Types `/dr TEXT` as `user` in `channel` (the incident channel by default); a real failover or
   * failback is then confirmed in its modal by typing the scope's name, as the person would.
   */
  dr(user: string, text: string, channel?: string): Promise<InteractionResult>;
  /**
   * Clicks, as `user`, the first button on the message whose action_id starts with `actionId`
   * (and whose value includes `valueIncludes`, when given), exactly as Slack delivers a click.
   */
  click(
    user: string,
    channel: string,
    ts: string,
    actionId: string,
    valueIncludes?: string,
  ): Promise<InteractionResult>;
  /** The newest top-level message in the incident channel whose text includes `needle`. */
  findMessage(needle: string, channel?: string): Promise<StoredMessage>;
  /** Waits for an ephemeral to `user` beyond the `seen` they had, and returns its text. */
  lastEphemeral(user: string, seen?: number): Promise<string>;
  ephemeralCount(user: string): number;
  stop(): Promise<void>;
}

/**
 * The real Slack surface (Bolt, WebClient) against the emulator, with the engine and use cases on
 * the in-memory store. Only the Slack base URL differs from production.
 */
export async function startSlackHarness(options: {
  mode?: "http" | "socket";
  runbooks: Runbook[];
  extraKinds?: AnyStepKind[];
  ledger?: Ledger;
  store?: RunStore;
  config?: Config;
  /** Extra step services, e.g. real Kubernetes sites. */
  services?: Record<string, unknown>;
  /** How `/dr status` reads a site. */
  siteHealth?: (site: string) => Promise<SiteHealth>;
  /** More people in the workspace (benchmarks act as many users at once). */
  extraUsers?: EmulatedUser[];
  /** The RPO readings of the data sources, as the data-source adapters would report them. */
  readRpo?: () => Promise<RpoReading[]>;
  /** Slack settings a test sets itself (the response_url deadline, the pacing of run updates). */
  slack?: Pick<
    SlackSettings,
    "responseUrlTimeoutMs" | "runUpdates" | "homeDebounceMs" | "homeReadinessCheckMs"
  >;
  /** Told when Slack refuses a run's messages for good. */
  onRunUpdatesStopped?: (runId: string, failure: SlackFailure) => void;
  /** Where the surface logs what no person is told (silent when left out). */
  log?: Logger;
  /** Which site serves each application (in memory, every application at home, when left out). */
  siteState?: SiteStateStore;
  /**
   * The engine checks every run's proofs before it starts it and before every step, as the runtime
   * wires it in production (left out, tests of other behaviour drive runs without that check).
   */
  checkEvidence?: boolean;
  /**
   * The engine's and the use cases' clock (the real one when left out): a test moves it forward to
   * show what time does to a run. Slack's own signatures and the surface keep the real time.
   */
  clock?: Clock;
  /** The kept readiness round status and the approval card show (none read when left out). */
  readiness?: ReadinessSource;
}): Promise<SlackHarness> {
  const mode = options.mode ?? "http";
  const emulator = new SlackEmulator({
    mode,
    users: [
      { id: "U0ONCALL", name: "oncall" },
      { id: "U0A1", name: "approver1" },
      { id: "U0A2", name: "approver2" },
      { id: "U0GROUPIE", name: "commander" },
      { id: "U0STRANGER", name: "stranger" },
      ...(options.extraUsers ?? []),
    ],
    usergroups: [{ id: "S0CMD", handle: "commanders", users: ["U0GROUPIE"] }],
    channels: [
      { id: INCIDENT, name: "incident" },
      { id: RANDOM, name: "random" },
    ],
  });
  await emulator.start();
  const port = await freePort();
  emulator.setRequestUrl(`http://127.0.0.1:${port}/slack/events`);
  const given = options.config ?? testConfig();
  // Socket Mode carries no signature: its tests say they trust Slack's word, as a deployment must.
  const config =
    mode === "socket" ? { ...given, approvals: { ...given.approvals, trustSocketMode: true } } : given;
  const realClock = { now: () => Date.now() };
  const clock = options.clock ?? realClock;
  const store = options.store ?? new MemoryRunStore(clock);
  const siteState = options.siteState ?? new MemorySiteState();
  const ledger = options.ledger ?? new Ledger();
  const registry = createStepKindRegistry(ledgerStepKind(ledger), ...(options.extraKinds ?? []));
  const relay = new ObserverRelay();
  const notices = new NoticeRelay();
  const directory = new DirectoryRelay();
  const engine = new RunEngine({
    store,
    registry,
    config,
    clock,
    services: {
      commands: { run: async () => Promise.reject(new Error("no commands")) },
      secrets: [emulator.botToken],
      notify: notices.post,
      siteState,
      ...options.services,
    },
    ownerId: "slack-test",
    leaseTtlMs: 5_000,
    maxParallelSteps: 8,
    observer: relay,
    log: options.log ?? silentLogger,
    scopeTtlMs: 60_000,
    controlPollMs: 50,
    ...(options.checkEvidence
      ? {
          evidence: {
            checkRun: (run: RunRecord): Promise<EvidenceVerdict> => service.evidence.checkRun(run),
          },
        }
      : {}),
  });
  const service: DrService = new DrService({
    ...(options.siteHealth ? { siteHealth: options.siteHealth } : {}),
    ...(options.readRpo ? { readRpo: options.readRpo } : {}),
    ...(options.readiness ? { readiness: options.readiness } : {}),
    config,
    runbooks: new Map(options.runbooks.map((r) => [r.name, r])),
    store,
    siteState,
    engine,
    registry,
    clock,
    directory,
    observer: relay,
    log: options.log ?? silentLogger,
    signingSecret: emulator.signingSecret,
  });
  const surface = createSlackApp(
    {
      mode,
      botToken: emulator.botToken,
      signingSecret: emulator.signingSecret,
      appToken: emulator.appToken,
      apiUrl: emulator.apiUrl,
      port,
      ...options.slack,
    },
    {
      service,
      store,
      clock: realClock,
      ...(options.log ? { log: options.log } : {}),
      ...(options.onRunUpdatesStopped ? { onRunUpdatesStopped: options.onRunUpdatesStopped } : {}),
    },
  );
  directory.use(
    new SlackDirectory({
      client: directoryClient(emulator.botToken, { apiUrl: emulator.apiUrl }),
      groups: () => ["S0CMD"],
      cacheTtlMs: config.slack.directoryCacheTtl,
      ...(options.log ? { log: options.log } : {}),
    }),
  );
  relay.attach(surface.notifier);
  relay.attach(surface.home);
  const notifier = surface.notifier;
  notices.attach((notice) => notifier.postNotice(notice));
  await surface.start();
  if (mode === "socket") await emulator.waitForSocket({ timeoutMs: 10_000 });
  return {
    emulator,
    surface,
    service,
    engine,
    store,
    siteState,
    ledger,
    config,
    dr: (user, text, channel = INCIDENT) =>
      typeDrCommand(emulator, { userId: user, channelId: channel, text }),
    async click(user, channel, ts, actionId, valueIncludes) {
      const message = emulator.message(channel, ts);
      if (!message) throw new Error(`no message ${ts} in ${channel}`);
      const button = buttonsOf(message).find(
        (b) =>
          b.action_id.startsWith(actionId) &&
          (valueIncludes === undefined || b.value?.includes(valueIncludes)),
      );
      if (!button) throw new Error(`no button ${actionId} on message ${ts}`);
      return emulator.sendBlockAction({
        userId: user,
        channelId: channel,
        messageTs: ts,
        actionId: button.action_id,
      });
    },
    async findMessage(needle, channel = INCIDENT) {
      let found: StoredMessage | undefined;
      await waitFor(
        () => {
          found = emulator
            .messages(channel)
            .filter((m) => m.text.includes(needle))
            .at(-1);
          return found !== undefined;
        },
        { timeoutMs: 10_000, description: `a message containing "${needle}"` },
      );
      return found!;
    },
    ephemeralCount: (user) => emulator.ephemerals(user).length,
    async lastEphemeral(user, seen = 0) {
      let text = "";
      await waitFor(
        () => {
          const list = emulator.ephemerals(user);
          text = list.at(-1)?.text ?? "";
          return list.length > seen;
        },
        { timeoutMs: 10_000, description: `an ephemeral for ${user}` },
      );
      return text;
    },
    async stop() {
      await engine.stop();
      await surface.notifier.idle(5_000);
      await surface.stop();
      await emulator.stop();
    },
  };
}

/** One request as it reached the app: the exact bytes and headers, signature included. */
export interface CapturedRequest {
  headers: Record<string, string>;
  body: string;
}

export interface DeliveryRecorder {
  /** Every interaction the emulator delivered since recording began, oldest first. */
  captured: CapturedRequest[];
  /** Sends a captured request to the app again, byte for byte (with `extraHeaders` added). */
  resend(request: CapturedRequest, extraHeaders?: Record<string, string>): Promise<number>;
  /** Sends `body` to the app signed afresh with the workspace's secret, as a hand-made request. */
  sendSigned(body: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Stands between the emulator and the app in HTTP mode, as someone on the path would: forwards each
 * delivery unchanged and keeps a copy, so a test can send a validly signed request a second time.
 */
export async function recordDeliveries(emulator: SlackEmulator): Promise<DeliveryRecorder> {
  const target = emulator.options.requestUrl;
  if (!target) throw new Error("recordDeliveries needs the emulator in HTTP mode with a request URL");
  const captured: CapturedRequest[] = [];
  const post = async (headers: Record<string, string>, body: string) =>
    fetch(target, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(10_000) });
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = { headers: forwardable(req.headers), body: Buffer.concat(chunks).toString("utf8") };
      captured.push(request);
      post(request.headers, request.body).then(
        async (answer) => {
          const contentType = answer.headers.get("content-type");
          res.writeHead(answer.status, contentType ? { "content-type": contentType } : {});
          res.end(await answer.text());
        },
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  emulator.setRequestUrl(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/slack/events`);
  return {
    captured,
    async resend(request, extraHeaders = {}) {
      return (await post({ ...request.headers, ...extraHeaders }, request.body)).status;
    },
    async sendSigned(body) {
      const headers = {
        "content-type": "application/x-www-form-urlencoded",
        ...emulator.signatureHeaders(body),
      };
      return (await post(headers, body)).status;
    },
    async stop() {
      emulator.setRequestUrl(target);
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

/** The headers a request carries end to end (hop-by-hop ones are the connection's own). */
function forwardable(headers: IncomingHttpHeaders): Record<string, string> {
  const hopByHop = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);
  return Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) =>
      typeof value === "string" && !hopByHop.has(name) ? [[name, value]] : [],
    ),
  );
}

interface ButtonElement {
  action_id: string;
  value?: string;
}

/** The buttons on a message's current blocks, in the order a person sees them. */
function buttonsOf(message: StoredMessage): ButtonElement[] {
  const blocks = message.blocks as { type?: string; elements?: { type?: string }[] }[];
  return blocks
    .filter((b) => b.type === "actions")
    .flatMap((b) => b.elements ?? [])
    .filter((e): e is ButtonElement & { type: string } => e.type === "button");
}

/** A message's blocks as one string, to look for words or action ids in. */
export const blocksText = (m: StoredMessage): string => JSON.stringify(m.blocks);

/** The message as the channel shows it now, after every update. */
export const latestMessage = (h: SlackHarness, m: StoredMessage): StoredMessage =>
  h.emulator.message(m.channel, m.ts)!;

export async function waitForBlocksText(h: SlackHarness, m: StoredMessage, needle: string): Promise<void> {
  await waitFor(() => blocksText(latestMessage(h, m)).includes(needle), {
    timeoutMs: 15_000,
    description: `message ${m.ts} to show "${needle}"`,
  });
}

/**
 * A harness whose failover runbook is `scale-up` then `after`, where scale-up fails once with "DC2
 * API refused" and works when run again: a run that pauses for a person to resume.
 */
export async function startSlackHarnessWithFlakyScaleUp(): Promise<SlackHarness> {
  let failures = 1;
  const ledger = new Ledger();
  const flaky = ledgerStepKind(ledger, {
    before: (key) => {
      if (key === "scale-up" && failures-- > 0) throw new Error("DC2 API refused");
    },
  });
  return startSlackHarness({
    runbooks: [
      testRunbook({
        name: "failover",
        phases: [{ name: "a", steps: [effect("scale-up"), effect("after")] }],
      }),
    ],
    extraKinds: [flaky],
    ledger,
  });
}
