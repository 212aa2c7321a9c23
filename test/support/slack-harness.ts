import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { DrService } from "../../src/app/dr-service.js";
import type { Config } from "../../src/domain/config.js";
import type { Runbook } from "../../src/domain/runbook.js";
import { RunEngine } from "../../src/engine/run-engine.js";
import type { AnyStepKind } from "../../src/engine/step-kind.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import { DirectoryRelay } from "../../src/ports/directory.js";
import { ObserverRelay } from "../../src/ports/run-observer.js";
import type { RunStore } from "../../src/ports/run-store.js";
import type { SiteHealth } from "../../src/ports/site.js";
import { createSlackApp, type SlackSurface } from "../../src/slack/create-slack-app.js";
import { SlackDirectory } from "../../src/slack/slack-directory.js";
import { type EmulatedMessage, SlackEmulator } from "../../src/slack-emulator/slack-emulator.js";
import { testConfig } from "./config-fixture.js";
import { Ledger, ledgerStepKind } from "./engine-harness.js";
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
  ledger: Ledger;
  config: Config;
  /** Types `/dr TEXT` as `user` in `channel` (the incident channel by default). */
  dr(user: string, text: string, channel?: string): ReturnType<SlackEmulator["sendSlashCommand"]>;
  /** The newest top-level message in the incident channel whose text includes `needle`. */
  findMessage(needle: string, channel?: string): Promise<EmulatedMessage>;
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
}): Promise<SlackHarness> {
  const mode = options.mode ?? "http";
  const emulator = new SlackEmulator({
    mode,
    users: {
      U0ONCALL: { name: "oncall" },
      U0A1: { name: "approver1" },
      U0A2: { name: "approver2" },
      U0GROUPIE: { name: "commander" },
      U0STRANGER: { name: "stranger" },
    },
    usergroups: { S0CMD: ["U0GROUPIE"] },
    channels: { [INCIDENT]: { name: "incident" }, [RANDOM]: { name: "random" } },
  });
  await emulator.start();
  const port = await freePort();
  emulator.setRequestUrl(`http://127.0.0.1:${port}/slack/events`);
  const config = options.config ?? testConfig();
  const clock = { now: () => Date.now() };
  const store = options.store ?? new MemoryRunStore(clock);
  const ledger = options.ledger ?? new Ledger();
  const registry = createStepKindRegistry(ledgerStepKind(ledger), ...(options.extraKinds ?? []));
  const relay = new ObserverRelay();
  const directory = new DirectoryRelay();
  const engine = new RunEngine({
    store,
    registry,
    config,
    clock,
    services: {
      commands: { run: async () => Promise.reject(new Error("no commands")) },
      secrets: [emulator.botToken],
      ...options.services,
    },
    ownerId: "slack-test",
    leaseTtlMs: 5_000,
    maxParallelSteps: 8,
    observer: relay,
    scopeTtlMs: 60_000,
    controlPollMs: 50,
  });
  const service = new DrService({
    ...(options.siteHealth ? { siteHealth: options.siteHealth } : {}),
    config,
    runbooks: new Map(options.runbooks.map((r) => [r.name, r])),
    store,
    engine,
    registry,
    clock,
    directory,
    observer: relay,
  });
  const surface = createSlackApp(
    {
      mode,
      botToken: emulator.botToken,
      signingSecret: emulator.signingSecret,
      appToken: emulator.appToken,
      apiUrl: emulator.apiUrl,
      port,
    },
    { service, store, clock },
  );
  directory.use(new SlackDirectory(surface.client, () => ["S0CMD"]));
  relay.attach(surface.notifier);
  await surface.start();
  if (mode === "socket") await emulator.socketConnected();
  return {
    emulator,
    surface,
    service,
    engine,
    store,
    ledger,
    config,
    dr: (user, text, channel = INCIDENT) =>
      emulator.sendSlashCommand({ userId: user, channelId: channel, text }),
    async findMessage(needle, channel = INCIDENT) {
      let found: EmulatedMessage | undefined;
      await waitFor(
        () => {
          found = emulator
            .channelMessages(channel)
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
