import type { Config, RunKind } from "../domain/config.js";
import { KeyRing } from "../domain/evidence/key-ring.js";
import type { Placement } from "../domain/placement.js";
import type { RpoReading } from "../domain/rpo.js";
import type { RunScope } from "../domain/run.js";
import type { Runbook } from "../domain/runbook.js";
import type { SiteHealth } from "../domain/site-health.js";
import type { RunEngine } from "../engine/run-engine.js";
import type { StepKindRegistry } from "../engine/step-kinds/registry.js";
import type { Clock } from "../ports/clock.js";
import type { Directory } from "../ports/directory.js";
import type { Evidence } from "../ports/evidence.js";
import type { Logger } from "../ports/logger.js";
import type { ReadinessSource } from "../ports/readiness.js";
import type { RunObserver } from "../ports/run-observer.js";
import type { RunStore } from "../ports/run-store.js";
import type { SiteStateStore } from "../ports/site-state.js";
import { Actors } from "./actors.js";
import { Plans } from "./plans.js";
import { RunDriver } from "./run-driver.js";
import { RunWriter } from "./run-writer.js";
import type { ScopeRestorePoints } from "./velero-overview.js";
import { VerifiedEvidence } from "./verified-evidence.js";

export interface DrServiceDeps {
  config: Config;
  runbooks: ReadonlyMap<string, Runbook>;
  store: RunStore;
  /** Which site serves each application: the direction of every plan, and what status shows. */
  siteState: SiteStateStore;
  engine: RunEngine;
  registry: StepKindRegistry;
  clock: Clock;
  directory: Directory;
  observer: RunObserver;
  /** Where failures nobody waits for are logged (engine failures after a person acted, audit writes). */
  log: Logger;
  /**
   * Slack's signing secret, when this process has it (HTTP mode; a CLI with SLACK_SIGNING_SECRET):
   * what Slack proofs are checked with. Redis never holds it. Without it, Slack proofs cannot be
   * checked here and count for nothing.
   */
  signingSecret?: string;
  /** Current RPO readings from every data source (empty until the data-source adapters are wired). */
  readRpo?: () => Promise<RpoReading[]>;
  newRunId?: (kind: RunKind, now: number) => string;
  /**
   * Start executing a run as soon as it is approved (the bot). The CLI turns this off and drives
   * runs in the foreground instead, so a terminal that exits never leaves a step half done.
   */
  autoStart?: boolean;
  /** Reads one site's health; must not throw (an unreadable site reports itself as unreachable). */
  siteHealth?: (site: string) => Promise<SiteHealth>;
  /** How long `status` waits for a site before reporting it down. */
  statusDeadlineMs?: number;
  /** Where drbot and its Redis run (configured or detected); `status` warns when it is the primary. */
  placement?: Placement;
  /** Recent Velero backups protecting a scope, as its target site sees them (velero-overview.ts). */
  restorePoints?: (scope: Pick<RunScope, "applications" | "toSite">) => Promise<ScopeRestorePoints>;
  /** The latest readiness round the watch leader kept: status, cards and App Home show it. */
  readiness?: ReadinessSource;
}

/** What every use case works with: the dependencies, and the shared run writer, actors, plans, driver. */
export interface AppContext extends DrServiceDeps {
  /**
   * Proves each person's action as it is taken and keeps the proof (src/app/verified-evidence.ts);
   * the engine checks the same proofs before it executes.
   */
  evidence: Evidence;
  writer: RunWriter;
  actors: Actors;
  plans: Plans;
  driver: RunDriver;
  statusDeadlineMs: number;
}

export function createAppContext(deps: DrServiceDeps): AppContext {
  const actors = new Actors(deps.config, deps.directory, deps.log);
  const plans = new Plans(deps.config, deps.runbooks, deps.registry);
  return {
    ...deps,
    statusDeadlineMs: deps.statusDeadlineMs ?? 2_000,
    writer: new RunWriter({ ...deps, actors }),
    actors,
    plans,
    evidence: new VerifiedEvidence({
      config: deps.config,
      plans,
      actors,
      store: deps.store,
      clock: deps.clock,
      keys: KeyRing.from(deps.config.approvals.keys),
      siteState: deps.siteState,
      ...(deps.signingSecret ? { signingSecret: deps.signingSecret } : {}),
      log: deps.log,
    }),
    driver: new RunDriver({
      engine: deps.engine,
      log: deps.log,
      autoStart: deps.autoStart !== false,
      store: deps.store,
    }),
  };
}
