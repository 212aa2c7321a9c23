import { cadenceGap, describeCadence } from "./cadence.js";
import type { Config, DataSourceConfig } from "./config.js";
import { formatMs } from "./duration.js";
import { designOf } from "./rpo-design.js";

/**
 * What `drbot validate` says about the RPO design, offline: a source carrying a tier's application
 * data whose cadence cannot meet the tier's RPO (and what to change), a source with no cadence to
 * judge it by, a replication alert threshold above the RPO. Warnings: the configuration works, but
 * the card would ask approvers to accept data loss, or could not tell a late backup from an on-time
 * one. Paths point into the configuration file.
 */
export interface DesignFinding {
  path: (string | number)[];
  message: string;
}

export function checkRpoDesign(config: Config): DesignFinding[] {
  const findings: DesignFinding[] = [];
  config.dataSources.forEach((source, index) => {
    const design = designOf(source);
    const tiers = tiersProtectedBy(config, source.name);
    if (source.kind === "postgres") {
      for (const tier of tiers)
        if (source.lagAlert > tier.rpo)
          findings.push({
            path: ["dataSources", index, "lagAlert"],
            message: `${source.name}: its lag alert threshold ${formatMs(source.lagAlert)} is above ${tier.name}'s RPO of ${formatMs(tier.rpo)}: lag that already loses more than the RPO would not count as late; set lagAlert to at most ${formatMs(tier.rpo)}`,
          });
      return;
    }
    if (!design.cadence) {
      findings.push({
        path: ["dataSources", index],
        message: `${source.name} declares no cadence, so drbot cannot tell a late backup from an on-time one${derivedFrom(source)}; set cadence (${exampleCadence(source)})`,
      });
      return;
    }
    if (design.protects !== "data") return;
    const worst = cadenceGap(design.cadence) + design.completesWithinMs;
    for (const tier of tiers) {
      if (worst <= tier.rpo) continue;
      const room = tier.rpo - design.completesWithinMs;
      findings.push({
        path: ["dataSources", index, ...(source.cadence ? ["cadence"] : [])],
        message:
          `${source.name} makes a recovery point ${describeCadence(design.cadence)} and may take ${formatMs(design.completesWithinMs)} to complete: ` +
          `a failover could lose up to ${formatMs(worst)} of ${tier.name}'s data, beyond its RPO of ${formatMs(tier.rpo)}. ` +
          (room > 0
            ? `Make one at least every ${formatMs(room)} (cadence: "${cronFor(room)}"), `
            : `Its completion time alone (completesWithin) exceeds the RPO: replicate instead, `) +
          `or set protects: configuration if it holds no application data.`,
      });
    }
  });
  return findings;
}

function tiersProtectedBy(config: Config, source: string): Config["tiers"] {
  const names = new Set(config.applications.filter((a) => a.dataSources.includes(source)).map((a) => a.tier));
  return config.tiers.filter((t) => names.has(t.name));
}

function derivedFrom(source: DataSourceConfig): string {
  if (source.kind === "velero")
    return ` offline (at run time it is read from Velero's Schedule ${source.schedule}, where the site has it)`;
  if (source.kind === "longhorn") return " offline (at run time it is read from the volumes' recurring jobs)";
  return "";
}

function exampleCadence(source: DataSourceConfig): string {
  switch (source.kind) {
    case "etcd":
      return `RKE2's etcd-snapshot-schedule-cron, like "0 */6 * * *"`;
    case "velero":
      return `the Schedule's cron, like "0 2 * * *"`;
    default:
      return `the RecurringJob's cron, like "*/15 * * * *"`;
  }
}

const MINUTE_STEPS = [30, 20, 15, 12, 10, 6, 5, 4, 3, 2, 1];
const HOUR_STEPS = [12, 8, 6, 4, 3, 2, 1];

/** The least frequent round cron schedule whose gap is at most `ms`. */
export function cronFor(ms: number): string {
  if (ms >= 86_400_000) return "0 2 * * *";
  const hours = HOUR_STEPS.find((h) => h * 3_600_000 <= ms);
  if (hours !== undefined) return hours === 1 ? "0 * * * *" : `0 */${hours} * * *`;
  const minutes = MINUTE_STEPS.find((m) => m * 60_000 <= ms) ?? 1;
  return minutes === 1 ? "* * * * *" : `*/${minutes} * * * *`;
}
