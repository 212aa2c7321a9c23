import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { createDnsProvider } from "../adapters/dns/create-dns-provider.js";
import { EtcdSnapshotService } from "../adapters/etcd/etcd-snapshot-service.js";
import { ExecaCommandRunner } from "../adapters/execa/execa-command-runner.js";
import { readLonghornRpo } from "../adapters/longhorn/read-longhorn-rpo.js";
import { MemoryReadinessStore } from "../adapters/memory/memory-readiness-store.js";
import { MemorySiteState } from "../adapters/memory/memory-site-state.js";
import { PostgresReplication } from "../adapters/postgres/postgres-replication.js";
import { readPostgresRpo } from "../adapters/postgres/read-postgres-rpo.js";
import { redisLocation } from "../adapters/redis/create-redis-client.js";
import { readVeleroRpo } from "../adapters/velero/read-velero-rpo.js";
import type { AlertDispatcher } from "../app/alerts/alert-dispatcher.js";
import { runOutcomeAlerts } from "../app/alerts/run-outcome-alerts.js";
import { DrService, type DrServiceDeps } from "../app/dr-service.js";
import { ledgerOnArtifacts } from "../app/ledger-on-artifacts.js";
import { readinessOfRuns } from "../app/readiness/readiness-of-runs.js";
import { RunReports } from "../app/report/run-reports.js";
import { storeArtifacts } from "../app/store-artifacts.js";
import { restorePointsForScope } from "../app/velero-overview.js";
import {
  type Environment,
  environmentSecrets,
  type NamedVariables,
  parseEnvironment,
  secretVariableNames,
} from "../config/environment.js";
import { loadConfig } from "../config/load-config.js";
import { loadRunbooksWithFindings } from "../config/load-runbooks.js";
import type { FileIssue } from "../config/yaml-issues.js";
import type { Config } from "../domain/config.js";
import type { EvidenceVerdict } from "../domain/evidence/run-evidence.js";
import { type PlacementFacts, resolvePlacement } from "../domain/placement.js";
import type { RpoReading } from "../domain/rpo.js";
import type { Runbook } from "../domain/runbook.js";
import { RunEngine } from "../engine/run-engine.js";
import type { AnyStepKind, StepServices } from "../engine/step-kind.js";
import { createStepKindRegistry, type StepKindRegistry } from "../engine/step-kinds/registry.js";
import type { ArtifactStore } from "../ports/artifact-store.js";
import { type Clock, systemClock } from "../ports/clock.js";
import { type Directory, DirectoryRelay, PeopleNamesRelay } from "../ports/directory.js";
import { type Logger, silentLogger } from "../ports/logger.js";
import { NoticeRelay } from "../ports/notices.js";
import type { AssessReadiness } from "../ports/readiness.js";
import type { ReadinessStore } from "../ports/readiness-store.js";
import { ObserverRelay, type RunObserver } from "../ports/run-observer.js";
import type { RunStore } from "../ports/run-store.js";
import type { KubernetesServices } from "../ports/site.js";
import type { SiteStateStore } from "../ports/site-state.js";
import type { VeleroServices } from "../ports/velero.js";
import { createAlertDispatcher } from "./create-alerts.js";
import { openRedisStore } from "./open-redis-store.js";
import { readinessChecks } from "./readiness-checks.js";
import { kubernetesSites, longhornSites, veleroSites } from "./site-services.js";

export { kubernetesSites, longhornSites, veleroSites } from "./site-services.js";

export interface RuntimeOptions {
  configPath: string;
  runbooksDir?: string;
  /** The parsed environment (src/config/environment.ts); an empty one when left out. */
  env?: Environment;
  /** The process's logger; silent when left out (tests that do not look at logs). */
  log?: Logger;
  /**
   * The list of secret values the process's logger redacts. The runtime adds the environment's tokens
   * and the passwords its configuration names to this same list, so the logger redacts them too.
   */
  secrets?: string[];
  /** A store to use instead of the configured Redis (tests use the in-memory store). */
  store?: RunStore;
  /**
   * Which site serves each application, instead of the configured Redis's; with `store` given and
   * this left out, in memory (every application starts at home).
   */
  siteState?: SiteStateStore;
  clock?: Clock;
  directory?: Directory;
  observers?: RunObserver[];
  extraStepKinds?: AnyStepKind[];
  services?: Partial<StepServices>;
  ownerId?: string;
  autoStart?: boolean;
  /** Sites to use instead of the configured kubeconfigs (tests of the surfaces, the demo). */
  sites?: KubernetesServices;
  /** Velero access to use instead of the configured kubeconfigs. */
  velero?: VeleroServices;
  /** Reads the data sources' RPO exposure instead of the configured readers (the demo simulates them). */
  readRpo?: () => Promise<RpoReading[]>;
  /** Lists restore points instead of the configured Velero (the demo simulates them). */
  restorePoints?: DrServiceDeps["restorePoints"];
  /** Where readiness rounds are kept, instead of the configured Redis's (in memory with `store`). */
  readiness?: ReadinessStore;
  /** The readiness checks, instead of those read from the configured sites (the demo simulates them). */
  assessReadiness?: AssessReadiness;
}

/** One RPO reading per source for `status` and the approval card, well inside the status deadline. */
const RPO_READ_TIMEOUT_MS = 1_500;

/** What the process knows about where it runs: in a pod or not, the site it was told, Redis's hosts. */
export function placementFacts(
  config: Config,
  env: Pick<
    Environment,
    "REDIS_URL" | "REDIS_SENTINELS" | "REDIS_SENTINEL_NAME" | "KUBERNETES_SERVICE_HOST" | "DRBOT_SITE"
  >,
): PlacementFacts {
  let redisHosts: string[] = [];
  try {
    const location = redisLocation(config.redis, env);
    redisHosts =
      location.kind === "sentinel" ? location.sentinels.map((s) => s.host) : [new URL(location.url).hostname];
  } catch {
    // No usable Redis address (the store reports that itself): where Redis runs is unknown.
    redisHosts = [];
  }
  return {
    inCluster: Boolean(env.KUBERNETES_SERVICE_HOST),
    ...(env.DRBOT_SITE ? { siteFromEnv: env.DRBOT_SITE } : {}),
    redisHosts,
  };
}

export interface Runtime {
  config: Config;
  /** The file the configuration was read from (readiness reports when it changes on disk). */
  configPath: string;
  /** The parsed environment the process started with. */
  env: Environment;
  /** The process's logger, created once by the entry point. */
  log: Logger;
  runbooks: Map<string, Runbook>;
  /** What the runbooks need and the configuration lacks (requests of them are refused with it). */
  runbookFindings: FileIssue[];
  registry: StepKindRegistry;
  store: RunStore;
  /** Which site serves each application (on the store's Redis). */
  siteState: SiteStateStore;
  engine: RunEngine;
  service: DrService;
  clock: Clock;
  /** Observers attached after start-up (the Slack notifier). */
  observers: ObserverRelay;
  /** Where `notify` steps post; the Slack surface attaches itself after start-up. */
  notices: NoticeRelay;
  /** Who belongs to which user group; the Slack surface plugs its directory in. */
  directory: DirectoryRelay;
  /** People's display names for reports and the CLI; plugged in where a Slack token is known. */
  names: PeopleNamesRelay;
  /** Snapshots and diffs recorded by runs. */
  artifacts: ArtifactStore;
  /** Run reports (Markdown, JSON, timeline SVG). */
  reports: RunReports;
  /** The Kubernetes sites (the watcher probes those that serve through them). */
  sites: KubernetesServices;
  /** Alerts by email and webhook (run outcomes here; the watcher's and RPO breaches in serve). */
  alerts: AlertDispatcher;
  /** Velero per site, for restore points on the approval card (src/app/velero-overview.ts). */
  velero: VeleroServices;
  /** Where the watch leader keeps its readiness rounds; every surface reads the kept one. */
  readiness: ReadinessStore;
  /** One readiness round over every application (the watch leader, `drbot readiness --now`). */
  assessReadiness: AssessReadiness | undefined;
  close(): Promise<void>;
}

/** Wires drbot together: configuration, runbooks, store, engine, use cases. The one composition root. */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const env = options.env ?? parseEnvironment({});
  const log = options.log ?? silentLogger;
  const config = await loadConfig(options.configPath);
  const registry = createStepKindRegistry(...(options.extraStepKinds ?? []));
  const { runbooks, findings: runbookFindings } = await loadRunbooksWithFindings(
    options.runbooksDir ?? env.DRBOT_RUNBOOKS,
    config,
    registry,
  );
  const clock = options.clock ?? systemClock;
  const secrets = options.secrets ?? [];
  for (const value of [...environmentSecrets(env), ...configuredSecrets(config, env.named)])
    if (!secrets.includes(value)) secrets.push(value);
  const opened = options.store ? undefined : await openRedisStore(config, env, log);
  const store = options.store ?? opened!.store;
  const siteState = options.siteState ?? opened?.siteState ?? new MemorySiteState();
  const readiness = options.readiness ?? opened?.readiness ?? new MemoryReadinessStore(clock);
  const observer = new ObserverRelay(log.child({ component: "observers" }));
  for (const o of options.observers ?? []) observer.attach(o);
  // Run outcomes by email and webhook, from whichever process drives the run (serve or the CLI).
  const alerts = createAlertDispatcher(config, env.named, log);
  observer.attach(runOutcomeAlerts(alerts, () => clock.now()));
  const directory = new DirectoryRelay(options.directory);
  const names = new PeopleNamesRelay();
  const notices = new NoticeRelay();
  const postgresSources = config.dataSources.filter((d) => d.kind === "postgres");
  const sites = options.sites ?? kubernetesSites(config);
  const velero = options.velero ?? veleroSites(config);
  const artifacts: ArtifactStore = storeArtifacts(store);
  // Readiness before and after each failover, failback and drill, whichever process runs it.
  observer.attach(
    readinessOfRuns({ store: readiness, artifacts, clock, log: log.child({ component: "readiness" }) }),
  );
  // Child processes get an allow-listed environment; drbot's own secrets are never passed on.
  const commands = new ExecaCommandRunner({
    environment: env.named,
    withheld: [...secretVariableNames(), ...configuredSecretNames(config)],
  });
  const replication = new PostgresReplication(env.named, commands);
  const etcd = new EtcdSnapshotService(config, commands);
  const longhorn = longhornSites(config);
  const services: StepServices = {
    commands,
    secrets,
    sites,
    artifacts,
    ledger: ledgerOnArtifacts(artifacts),
    velero,
    replication,
    dns: createDnsProvider(config, { commands, env: env.named, secrets }),
    etcd,
    longhorn,
    notify: notices.post,
    siteState,
    logger: log.child({ component: "steps" }),
    ...options.services,
  };
  // Each data-source family adds its reader here; every reader answers for all its sources and never throws.
  // One reading per source, each under its own deadline and never throwing; each is stamped with
  // how long it took, so a slow source shows in status and in the status benchmark.
  const timed = async (read: () => Promise<RpoReading>): Promise<RpoReading> => {
    const started = performance.now();
    const reading = await read();
    return { ...reading, latencyMs: Math.round(performance.now() - started) };
  };
  const rpoReaders: (() => Promise<RpoReading[]>)[] = [
    () =>
      Promise.all(
        postgresSources.map((source) =>
          timed(() =>
            readPostgresRpo(source, {
              replication: services.replication ?? replication,
              now: () => clock.now(),
              timeoutMs: Math.min(source.timeout, RPO_READ_TIMEOUT_MS),
            }),
          ),
        ),
      ),
    async () => {
      const started = performance.now();
      const readings = await etcd.readRpo(clock.now());
      const latencyMs = Math.round(performance.now() - started);
      return readings.map((r) => ({ ...r, latencyMs }));
    },
    () =>
      Promise.all(
        config.dataSources
          .filter((d) => d.kind === "velero")
          .map((source) =>
            timed(() =>
              readVeleroRpo(source, velero, clock.now(), {
                signal: AbortSignal.timeout(RPO_READ_TIMEOUT_MS),
                // A backup the other site took that this one has not synced yet is named in status.
                compareWith: config.sites.map((s) => s.name),
              }),
            ),
          ),
      ),
    () =>
      Promise.all(
        config.dataSources.flatMap((source) =>
          source.kind === "longhorn"
            ? [
                timed(() =>
                  readLonghornRpo(source, services.longhorn ?? longhorn, clock.now(), {
                    timeoutMs: RPO_READ_TIMEOUT_MS,
                  }),
                ),
              ]
            : [],
        ),
      ),
  ];
  const readRpo =
    options.readRpo ?? (async () => (await Promise.all(rpoReaders.map((read) => read()))).flat());
  // backup.verify judges the same readings that feed the live RPO.
  services.backups ??= { readRpo };
  const engine = new RunEngine({
    store,
    registry,
    services,
    config,
    clock,
    ownerId: options.ownerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`,
    leaseTtlMs: config.engine.leaseTtl,
    maxParallelSteps: config.engine.maxParallelSteps,
    observer,
    scopeTtlMs: 6 * 3_600_000,
    log: log.child({ component: "engine" }),
    // Every run's proofs are checked before it starts and before every step, with the checks the
    // use cases made as people acted (the service is built just below; the engine calls later).
    evidence: { checkRun: (run): Promise<EvidenceVerdict> => service.evidence.checkRun(run) },
  });
  const service: DrService = new DrService({
    siteHealth: async (name) => sites.site(name).health(),
    readRpo,
    restorePoints:
      options.restorePoints ??
      ((scope) =>
        restorePointsForScope(config, velero, scope, {
          now: clock.now(),
          signal: AbortSignal.timeout(RPO_READ_TIMEOUT_MS),
        })),
    config,
    runbooks,
    store,
    siteState,
    engine,
    registry,
    clock,
    directory,
    observer,
    autoStart: options.autoStart ?? true,
    placement: resolvePlacement(config, placementFacts(config, env)),
    readiness,
    log: log.child({ component: "service" }),
    ...(env.SLACK_SIGNING_SECRET ? { signingSecret: env.SLACK_SIGNING_SECRET } : {}),
  });
  return {
    config,
    configPath: options.configPath,
    env,
    log,
    runbooks,
    runbookFindings,
    registry,
    store,
    siteState,
    engine,
    service,
    clock,
    observers: observer,
    notices,
    directory,
    names,
    artifacts,
    reports: new RunReports({ service, artifacts, clock, archives: store, names }),
    sites,
    velero,
    alerts,
    readiness,
    assessReadiness: readinessChecks(options, {
      config,
      runbooks,
      siteState,
      readRpo,
      runs: store,
      clock,
      log,
    }),
    async close() {
      await engine.stop();
      // A run's outcome may still be on its way out (the CLI exits right after): bounded.
      await alerts.settle(config.notifications.timeout * 2);
      await store.close();
    },
  };
}

/**
 * Every variable the configuration names (`passwordEnv`, `tokenEnv`: PostgreSQL, Redis and Sentinel
 * passwords, the DNS webhook's token, whatever a later section adds under a name ending in `Env`):
 * each holds a secret, by the configuration's own rule that secrets live only in the environment.
 */
export function configuredSecretNames(config: Config): string[] {
  const names = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) walk(item);
    else if (value !== null && typeof value === "object")
      for (const [key, inner] of Object.entries(value)) {
        if (key.endsWith("Env") && typeof inner === "string") names.add(inner);
        else walk(inner);
      }
  };
  walk(config);
  return [...names];
}

/** The values of those variables, redacted from logs and step output like the Slack tokens. */
function configuredSecrets(config: Config, named: NamedVariables): string[] {
  return configuredSecretNames(config).flatMap((name) => {
    const value = named[name];
    return value ? [value] : [];
  });
}
