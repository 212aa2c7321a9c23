import { Gauge, type Registry } from "prom-client";
import type { Config } from "../../domain/config.js";
import {
  READINESS_CHECKS,
  type ReadinessReport,
  type ReadinessVerdict,
} from "../../domain/readiness/readiness.js";

/** The verdicts as numbers, worst highest, so `max by (tier) (drbot_readiness)` is a tier's verdict. */
export const READINESS_VALUE: Record<ReadinessVerdict, number> = {
  ready: 0,
  degraded: 1,
  unknown: 2,
  not_ready: 3,
};

/**
 * drbot's readiness metrics, from the round the watch leader kept (read at each scrape, never a
 * round): the verdict per application and check, per application, how long the round took and how
 * old it is. Labels are bounded by the configuration: applications and tiers it names, the fixed
 * set of checks; an application in the round but no longer configured is left out.
 */
export class ReadinessMetrics {
  private readonly check: Gauge<"application" | "tier" | "check">;
  private readonly application: Gauge<"application" | "tier">;
  private readonly roundSeconds: Gauge;
  private readonly ageSeconds: Gauge;

  constructor(
    registry: Registry,
    private readonly config: Pick<Config, "applications">,
  ) {
    const registers = [registry];
    this.check = new Gauge({
      name: "drbot_readiness",
      help: "Readiness of an application by check in the kept round: 0 ready, 1 degraded, 2 unknown (not read), 3 not ready",
      labelNames: ["application", "tier", "check"],
      registers,
    });
    this.application = new Gauge({
      name: "drbot_readiness_application",
      help: "An application's readiness in the kept round (the worst of its checks): 0 ready, 1 degraded, 2 unknown, 3 not ready",
      labelNames: ["application", "tier"],
      registers,
    });
    this.roundSeconds = new Gauge({
      name: "drbot_readiness_round_seconds",
      help: "How long the kept readiness round took (NaN when none is kept or it cannot be read)",
      registers,
    });
    this.ageSeconds = new Gauge({
      name: "drbot_readiness_age_seconds",
      help: "How old the kept readiness round is (the leader keeps one every watch.readiness.interval); +Inf when none is kept or it cannot be read",
      registers,
    });
  }

  /**
   * The kept round's series, read at `now`. With no round (none kept, or unreadable) the verdicts
   * are left out, the age is +Inf (an alert on the age fires: nobody knows how ready DR is) and the
   * round's duration NaN.
   */
  set(report: ReadinessReport | undefined, now: number): void {
    for (const g of [this.check, this.application]) g.reset();
    if (!report) {
      this.roundSeconds.set(Number.NaN);
      this.ageSeconds.set(Number.POSITIVE_INFINITY);
      return;
    }
    const configured = new Map(this.config.applications.map((a) => [a.name, a.tier]));
    for (const app of report.applications) {
      const tier = configured.get(app.application);
      if (tier === undefined) continue;
      this.application.set({ application: app.application, tier }, READINESS_VALUE[app.verdict]);
      for (const check of READINESS_CHECKS) {
        const findings = app.findings.filter((f) => f.check === check);
        if (findings.length === 0) continue;
        const worst = Math.max(...findings.map((f) => READINESS_VALUE[f.verdict]));
        this.check.set({ application: app.application, tier, check }, worst);
      }
    }
    this.roundSeconds.set(report.tookMs / 1000);
    this.ageSeconds.set(Math.max(0, now - report.readAt) / 1000);
  }
}
