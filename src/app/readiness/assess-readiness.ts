import { performance } from "node:perf_hooks";
import { type ApplicationConfig, type Config, drSite, primarySite } from "../../domain/config.js";
import { judgeCapacity } from "../../domain/readiness/capacity.js";
import { judgeCertificates } from "../../domain/readiness/certificates.js";
import { judgeData } from "../../domain/readiness/data.js";
import { judgeDrift } from "../../domain/readiness/drift.js";
import { type DrillSchedule, judgeDrill } from "../../domain/readiness/drill.js";
import {
  type ApplicationReadiness,
  applicationReadiness,
  type ReadinessFinding,
  tierReadiness,
} from "../../domain/readiness/readiness.js";
import { isRead, type NamespaceObjects, type Read } from "../../domain/readiness/site-objects.js";
import { judgeStandby } from "../../domain/readiness/standby.js";
import type { RpoReading } from "../../domain/rpo.js";
import type { Runbook } from "../../domain/runbook.js";
import type { Serving } from "../../domain/site-state.js";
import type { CertificateReader } from "../../ports/certificate-reader.js";
import type { Clock } from "../../ports/clock.js";
import type { Logger } from "../../ports/logger.js";
import type { AssessReadiness } from "../../ports/readiness.js";
import type { RunStore } from "../../ports/run-store.js";
import type { SiteInventories } from "../../ports/site-inventory.js";
import type { SiteStateStore } from "../../ports/site-state.js";
import { gatherReadings, type RoundReadings } from "./gather-readings.js";

export interface ReadinessDeps {
  config: Config;
  /** Which calendar schedules are drills: the kind of the runbook each one runs or reminds of. */
  runbooks: ReadonlyMap<string, Pick<Runbook, "kind">>;
  /** Which site serves each application: the standby is the other one, never presumed. */
  siteState: Pick<SiteStateStore, "current">;
  /** The sites' objects; without it drift, capacity and standby are `unknown`, saying so. */
  inventories?: SiteInventories;
  /** Every data source's current reading (the same readers `/dr status` uses). */
  readRpo?: () => Promise<RpoReading[]>;
  /** The run history, for the last drill (and where the newest one is remembered past retention). */
  runs: Pick<RunStore, "listRuns" | "kvGet" | "kvSet">;
  certificates?: CertificateReader;
  clock: Clock;
  log: Logger;
  /**
   * Namespaces read at once per site (eight lists each), and certificates at once (default 2): a
   * round is no hurry, and its answers arriving in bursts delay every other answer of the process.
   */
  concurrency?: number;
  /**
   * The least time between the starts of two namespace reads on one site (default 50 ms, about
   * 160 lists a second at most): a round is spread out rather than a burst on the API servers,
   * which answer everyone else too (drbot's own status among them).
   */
  namespacePaceMs?: number;
  /** Deadline of one TLS handshake (default 5 s); the round's signal cuts it shorter. */
  certificateTimeoutMs?: number;
}

/**
 * A readiness round over every application (src/ports/readiness.ts). What several applications
 * share is read once (gather-readings.ts), every reading under the round's signal; then each
 * application is judged by every check in src/domain/readiness, against the site that serves it
 * now: the standby is compared with it. A reading that failed or came too late makes the checks that
 * need it `unknown`, with why; the round itself never rejects for a site's sake.
 */
export function assessReadiness(deps: ReadinessDeps): AssessReadiness {
  return async ({ signal }) => {
    const readAt = deps.clock.now();
    const started = performance.now();
    const readings = await gatherReadings(deps, signal, (serving) => [
      ...new Set(
        deps.config.applications.flatMap((app) => {
          const { candidate } = sitePair(deps.config, app, serving);
          return app.healthChecks
            .filter((c) => c.site === candidate && c.url.startsWith("https:"))
            .map((c) => c.url);
        }),
      ),
    ]);
    const now = deps.clock.now();
    const applications = deps.config.applications.map((app) => assessApplication(deps, app, readings, now));
    const report = {
      readAt,
      tookMs: Math.round(performance.now() - started),
      applications,
      tiers: tierReadiness(
        deps.config.tiers.map((t) => t.name),
        applications,
      ),
    };
    deps.log.debug("readiness round assessed", {
      operation: "readiness.assess",
      tookMs: report.tookMs,
      verdicts: Object.fromEntries(applications.map((a) => [a.application, a.verdict])),
    });
    return report;
  };
}

/**
 * The site serving the application (the reference) and the one a failover or failback would move
 * it to (the candidate, its standby). When the site state cannot be read, the configured roles are
 * compared (primary against DR) and the standby is not known.
 */
function sitePair(
  config: Config,
  app: ApplicationConfig,
  serving: Read<Serving[]>,
): { reference: string; candidate: string; standby: Read<string> } {
  const primary = primarySite(config).name;
  const dr = drSite(config).name;
  if (!isRead(serving))
    return { reference: primary, candidate: dr, standby: { error: `site state: ${serving.error}` } };
  const s = serving.value.find((x) => x.application === app.name);
  const reference = s?.site ?? primary;
  const candidate = reference === (s?.home ?? primary) ? dr : (s?.home ?? primary);
  return { reference, candidate, standby: { value: candidate } };
}

function namespacesOn(
  readings: RoundReadings,
  site: string,
  app: ApplicationConfig,
): Read<NamespaceObjects[]> {
  const read = app.namespaces.map(
    (ns) => readings.namespaces.get(site)?.get(ns) ?? { error: `${ns} not read` },
  );
  const errors = [...new Set(read.flatMap((r) => (isRead(r) ? [] : [r.error])))];
  return errors.length > 0
    ? { error: errors.join("; ") }
    : { value: read.map((r) => (r as { value: NamespaceObjects }).value) };
}

function drillSchedules(deps: ReadinessDeps, app: ApplicationConfig): DrillSchedule[] {
  const { calendar } = deps.config;
  return calendar.schedules
    .filter((s) => deps.runbooks.get(s.run ?? s.remind ?? "")?.kind === "drill")
    .filter((s) => s.targets.length === 0 || s.targets.includes(app.tier) || s.targets.includes(app.name))
    .map((s) => ({ name: s.name, cron: s.cron, timezone: calendar.timezone }));
}

function assessApplication(
  deps: ReadinessDeps,
  app: ApplicationConfig,
  readings: RoundReadings,
  now: number,
): ApplicationReadiness {
  const { reference, candidate, standby } = sitePair(deps.config, app, readings.serving);
  const missing = { error: "not read" };
  const side = (site: string) => ({
    site,
    namespaces: namespacesOn(readings, site, app),
    crds: readings.crds.get(site) ?? missing,
  });
  const referenceObjects = namespacesOn(readings, reference, app);
  const tier = deps.config.tiers.find((t) => t.name === app.tier);
  const findings: ReadinessFinding[] = [
    judgeDrift({ reference: side(reference), candidate: side(candidate), crds: app.readiness.crds }),
    judgeCapacity({
      reference: { site: reference, nodes: readings.nodes.get(reference) ?? missing },
      candidate: { site: candidate, nodes: readings.nodes.get(candidate) ?? missing },
      workloads: isRead(referenceObjects)
        ? { value: referenceObjects.value.flatMap((ns) => ns.workloads) }
        : referenceObjects,
    }),
    judgeData({
      application: app.name,
      sources: deps.config.dataSources.filter((d) => app.dataSources.includes(d.name)),
      readings: readings.rpo,
      standby: candidate,
      now,
    }),
    judgeStandby({
      application: app,
      standby,
      namespaces: isRead(standby) ? namespacesOn(readings, standby.value, app) : missing,
    }),
    judgeDrill({
      application: app.name,
      tier: app.tier,
      last: isRead(readings.drills) ? { value: readings.drills.value.get(app.name) } : readings.drills,
      schedules: drillSchedules(deps, app),
      graceMs: app.readiness.drillGrace,
      now,
    }),
    judgeCertificates({
      site: candidate,
      endpoints: app.healthChecks
        .filter((c) => c.site === candidate)
        .map((c) => ({
          name: c.name,
          url: c.url,
          reading: c.url.startsWith("https:")
            ? (readings.certificates.get(c.url) ?? missing)
            : ("not_tls" as const),
        })),
      rtoMs: tier?.rto ?? 0,
      marginMs: app.readiness.certificateMargin,
      now,
    }),
  ];
  return applicationReadiness(app.name, app.tier, findings);
}
