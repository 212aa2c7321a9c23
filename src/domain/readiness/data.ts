import type { DataSourceConfig } from "../config.js";
import type { RpoReading } from "../rpo.js";
import { judgeSource } from "../rpo-design.js";
import { type ReadinessFinding, type ReadinessVerdict, worstVerdict } from "./readiness.js";
import { isRead, type Read } from "./site-objects.js";

/**
 * Data: every source protecting the application, judged against its designed cadence by the RPO's
 * own rules (rpo-design.ts), and read from the side a failover restores on. A source on schedule is
 * ready; late (a backup that should exist does not, replication lag over its threshold) or without
 * a declared cadence is `degraded`: the failover would still run, losing more than designed; a
 * source that gave no reading is `unknown`, with the reading's reason. A Velero or Longhorn source
 * read on a site other than the standby is degraded: what the standby itself would restore from was
 * not looked at (configure the source on that site: Velero syncs backups to it through the bucket).
 */
export function judgeData(input: {
  application: string;
  sources: readonly DataSourceConfig[];
  readings: Read<readonly RpoReading[]>;
  /** The site a failover of the application would restore on. */
  standby: string;
  now: number;
}): ReadinessFinding {
  if (input.sources.length === 0)
    return {
      check: "data",
      verdict: "ready",
      summary: `no data source protects ${input.application}: nothing to lose, nothing to restore`,
      evidence: [],
    };
  if (!isRead(input.readings))
    return {
      check: "data",
      verdict: "unknown",
      summary: `the data sources of ${input.application} could not be read`,
      evidence: [input.readings.error],
      action: "make the data sources answer drbot (`drbot status` shows each one's reading)",
    };
  const readings = input.readings.value;
  const lines = input.sources.map((source) => {
    const judged = judgeSource(
      source,
      readings.find((r) => r.source === source.name),
      input.now,
    );
    let verdict: ReadinessVerdict =
      judged.state === "within_design" ? "ready" : judged.state === "unknown" ? "unknown" : "degraded";
    let line = `${source.name} (${source.kind}): ${judged.verdict}`;
    if ((source.kind === "velero" || source.kind === "longhorn") && source.site !== input.standby) {
      verdict = worstVerdict([verdict, "degraded"]);
      line += `; read on ${source.site}, not on ${input.standby} where a failover restores`;
    }
    if (judged.notice) line += `; ${judged.notice}`;
    return { verdict, line };
  });
  const verdict = worstVerdict(lines.map((l) => l.verdict));
  const worst = lines.find((l) => l.verdict === verdict)!;
  return {
    check: "data",
    verdict,
    summary:
      verdict === "ready"
        ? `${lines.length} data ${lines.length === 1 ? "source" : "sources"} on schedule, readable from ${input.standby}`
        : worst.line,
    evidence: lines.map((l) => l.line),
    ...(verdict === "ready"
      ? {}
      : {
          action:
            verdict === "unknown"
              ? "find out why the source cannot be read (its reading says); until then treat its data as at risk"
              : "bring the late source back on schedule (a backup, replication catching up) before a failover",
        }),
  };
}
