import { copyFile, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryRunStore } from "../adapters/memory/memory-run-store.js";
import { type Environment, type NamedVariables, parseEnvironment } from "../config/environment.js";
import { loadConfig } from "../config/load-config.js";
import type { Config } from "../domain/config.js";
import { DrError } from "../domain/errors.js";
import { SlackEmulator } from "../emulator/slack-emulator.js";
import { systemClock } from "../ports/clock.js";
import { type Logger, silentLogger } from "../ports/logger.js";
import type { KubernetesServices, SitePort } from "../ports/site.js";
import { createRuntime, type Runtime } from "../runtime/create-runtime.js";
import { createSlackApp, type SlackSurface } from "../slack/create-slack-app.js";
import { directoryClient, SlackDirectory } from "../slack/slack-directory.js";
import { SlackPeopleNames } from "../slack/slack-people-names.js";
import { DEMO_CHANNEL, DEMO_OTHERS, DEMO_PEOPLE, DEMO_USERGROUPS, writeDemoConfig } from "./demo-config.js";
import { seedClusterWorkloads, startClusters } from "./local-clusters.js";
import { freePort, type LocalRedis, startLocalRedis } from "./local-redis.js";
import { simulatedRestorePoints, simulatedRpo } from "./simulated-backups.js";
import { SimulatedSite } from "./simulated-site.js";

/**
 * `npm run demo`: everything drbot needs, on one machine, wired as in production except where a
 * laptop has nothing to offer. Redis is real (a local redis-server, or REDIS_URL); Slack is drbot's
 * emulator, which also serves the Slack-like page; the bot is the real runtime and the real Bolt
 * app in HTTP mode pointed at the emulator; the sites are simulated in-process (or, with
 * `clusters`, the local test clusters from scripts/testenv). Every piece binds 127.0.0.1.
 */
export interface DemoOptions {
  /** The repository root: drbot.example.yaml, runbooks/ and scripts/ are found from here. */
  root: string;
  /** The page's port; a free one when left out. */
  port?: number;
  /** Use the local test clusters (scripts/testenv) instead of simulated sites. */
  clusters?: boolean;
  /** An existing Redis; a local redis-server is started when left out. */
  redisUrl?: string;
  /**
   * About how long a simulated step takes, in seconds: each change to a simulated site takes this
   * long, and a scaled-up replica becomes ready every half of it. 0 (the default) makes them
   * instant, as the tests want; `npm run demo` passes DRBOT_DEMO_STEP_SECONDS (default 3).
   */
  stepSeconds?: number;
  /** How long a simulated replica takes to become ready, when not derived from `stepSeconds`. */
  replicaReadyMs?: number;
  /** The environment the demo runs in: its PATH finds redis-server, its children inherit it. */
  env: Environment;
  /** What the demo is doing, for the person who started it. */
  log?: (line: string) => void;
  /** The bot's logger (silent when left out). */
  logger?: Logger;
  /** The list of secrets that logger redacts; the runtime adds the bot's to it. */
  secrets?: string[];
}

export interface RunningDemo {
  /** The page, e.g. http://127.0.0.1:PORT/ */
  url: string;
  emulator: SlackEmulator;
  runtime: Runtime;
  surface: SlackSurface;
  store: "redis" | "memory";
  sites: "simulated" | "clusters";
  stop(): Promise<void>;
}

const DEMO_DIR = new URL("./runbooks/", import.meta.url);

/** How long stopping waits for a report still being uploaded. */
const STOP_REPORTS_MS = 5_000;

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const log = options.log ?? (() => undefined);
  const logger = (options.logger ?? silentLogger).child({ component: "demo" });
  const processEnv = options.env.named;
  const cleanups: Array<() => Promise<unknown>> = [];
  // Each piece is stopped even when one before it fails to stop; the failure is logged.
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse())
      await cleanup().catch((error: unknown) =>
        logger.warn("a piece of the demo did not stop cleanly", { operation: "demo.stop", err: error }),
      );
  };
  try {
    const dir = await mkdtemp(join(tmpdir(), "drbot-demo-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));

    const redis = await openRedis(options, processEnv, log);
    if (redis.local) cleanups.push(() => redis.local!.stop());

    const clusters = options.clusters ? await startClusters(options.root, dir, options.env, log) : undefined;
    if (clusters) cleanups.push(clusters.stop);

    const configPath = await writeDemoConfig({
      exampleFile: join(options.root, "drbot.example.yaml"),
      dir,
      ...(redis.url ? { redisUrl: redis.url } : {}),
      ...(clusters ? { kubeconfig: clusters.kubeconfig } : {}),
    });
    const runbooksDir = await demoRunbooks(dir);

    const emulator = new SlackEmulator({
      users: [...DEMO_PEOPLE, ...DEMO_OTHERS].map((p) => ({ id: p.id, name: p.name, realName: p.realName })),
      channels: [DEMO_CHANNEL, { id: "C0GENERAL", name: "general" }],
      usergroups: DEMO_USERGROUPS,
      teamDomain: "drbot-demo",
      webPage: {
        banner: bannerText(clusters !== undefined, redis.url !== undefined),
        personas: DEMO_PEOPLE.map((p) => ({ userId: p.id, label: p.role })),
        channel: DEMO_CHANNEL.id,
      },
    });
    const base = await emulator.start(options.port ?? 0);
    cleanups.push(() => emulator.stop());

    const botPort = await freePort();
    emulator.setRequestUrl(`http://127.0.0.1:${botPort}/slack/events`);
    // The environment the bot gets, as `drbot serve` would: the demo's, pointed at the emulator and its Redis.
    const env = parseEnvironment({
      ...processEnv,
      SLACK_BOT_TOKEN: emulator.botToken,
      SLACK_SIGNING_SECRET: emulator.signingSecret,
      ...(redis.url ? { REDIS_URL: redis.url } : {}),
    });
    const config = await loadConfig(configPath);
    if (clusters) await seedClusterWorkloads(clusters, config);
    const runtime = await createRuntime({
      configPath,
      runbooksDir,
      env,
      ...(options.logger ? { log: options.logger } : {}),
      ...(options.secrets ? { secrets: options.secrets } : {}),
      ownerId: "drbot-demo",
      ...(redis.url ? {} : { store: new MemoryRunStore(systemClock) }),
      ...(clusters ? {} : { sites: simulatedSites(config, simulatedTiming(options)) }),
      readRpo: async () => simulatedRpo(config, systemClock.now()),
      restorePoints: async (scope) => simulatedRestorePoints(config, scope, systemClock.now()),
    });
    cleanups.push(() => runtime.close());

    const surface = createSlackApp(
      {
        mode: "http",
        botToken: emulator.botToken,
        signingSecret: emulator.signingSecret,
        apiUrl: emulator.apiUrl,
        port: botPort,
        host: "127.0.0.1",
      },
      {
        service: runtime.service,
        store: runtime.store,
        clock: runtime.clock,
        reports: runtime.reports,
        log: runtime.log,
      },
    );
    runtime.directory.use(
      new SlackDirectory({
        client: directoryClient(emulator.botToken, { apiUrl: emulator.apiUrl }),
        groups: () => DEMO_USERGROUPS.map((g) => g.id),
        log: runtime.log.child({ component: "slack-directory" }),
        cacheTtlMs: runtime.config.slack.directoryCacheTtl,
      }),
    );
    runtime.names.use(
      new SlackPeopleNames(directoryClient(emulator.botToken, { apiUrl: emulator.apiUrl }), {
        log: runtime.log.child({ component: "slack-names" }),
      }),
    );
    // As in `drbot serve`: progress in the channel, and each drill's and failover's report (the
    // Markdown, the JSON and the timeline picture) posted there when it ends.
    runtime.observers.attach(surface.notifier);
    runtime.observers.attach(surface.home);
    runtime.observers.attach(surface.reports);
    const notifier = surface.notifier;
    runtime.notices.attach((notice) => notifier.postNotice(notice));
    await surface.start();
    cleanups.push(async () => {
      await surface.notifier.idle(2_000);
      await Promise.race([
        surface.reports.idle(),
        new Promise((resolve) => setTimeout(resolve, STOP_REPORTS_MS).unref()),
      ]);
      await surface.stop();
    });

    // The supervisor `drbot serve` runs: expires stale requests, takes over runs without an owner.
    const supervise = setInterval(
      () =>
        void runtime.service
          .supervise()
          .catch((error: unknown) =>
            runtime.log.error("the supervisor's round failed", { operation: "demo.supervise", err: error }),
          ),
      Math.max(1_000, Math.floor(runtime.config.engine.leaseTtl / 2)),
    );
    cleanups.push(async () => clearInterval(supervise));

    return {
      url: `${base}/`,
      emulator,
      runtime,
      surface,
      store: redis.url ? "redis" : "memory",
      sites: clusters ? "clusters" : "simulated",
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function bannerText(clusters: boolean, redis: boolean): string {
  return [
    "drbot DEMO",
    clusters
      ? "sites dc1 and dc2: local test clusters (KWOK nodes)"
      : "sites dc1 and dc2: SIMULATED in-process",
    "RPO readings: SIMULATED",
    "DEMO runbooks",
    "Slack: drbot's emulator",
    redis ? "Redis: local" : "store: in memory (no redis-server)",
  ].join(" · ");
}

async function openRedis(
  options: DemoOptions,
  env: NamedVariables,
  log: (line: string) => void,
): Promise<{ url?: string; local?: LocalRedis }> {
  if (options.redisUrl) return { url: options.redisUrl };
  const started = await startLocalRedis(env);
  if ("missing" in started) {
    log(`${started.missing}. Until then the demo keeps its runs in memory.`);
    return {};
  }
  return { url: started.redis.url, local: started.redis };
}

/** The demo runbooks (failover, failback and drill, with checklists where a laptop has no Velero, DNS or application). */
async function demoRunbooks(dir: string): Promise<string> {
  const target = join(dir, "runbooks");
  await mkdir(target);
  for (const file of await readdir(DEMO_DIR))
    if (file.endsWith(".yaml")) await copyFile(new URL(file, DEMO_DIR), join(target, file));
  return target;
}

function simulatedTiming(options: DemoOptions): { operationMs: number; replicaReadyMs: number } {
  const stepMs = Math.round((options.stepSeconds ?? 0) * 1000);
  return {
    operationMs: stepMs,
    replicaReadyMs: options.replicaReadyMs ?? (stepMs > 0 ? Math.round(stepMs / 2) : 400),
  };
}

/** DC1 runs every workload at its active replicas; DC2 is the warm standby at its standby replicas. */
function simulatedSites(
  config: Config,
  timing: { operationMs: number; replicaReadyMs: number },
): KubernetesServices {
  const sites = new Map<string, SitePort>();
  for (const site of config.sites) {
    const workloads = config.applications.flatMap((app) =>
      app.workloads
        .filter((w) => w.name !== "*")
        .map((w) => ({
          kind: w.kind,
          namespace: w.namespace,
          name: w.name,
          replicas: site.role === "primary" ? w.replicas : w.standbyReplicas,
        })),
    );
    sites.set(
      site.name,
      new SimulatedSite({
        name: site.name,
        datacenter: site.region ?? site.name,
        clock: systemClock,
        workloads,
        ...timing,
      }),
    );
  }
  return {
    site(name) {
      const site = sites.get(name);
      if (!site) throw new DrError("invalid_input", `no simulated site named "${name}"`);
      return site;
    },
  };
}
