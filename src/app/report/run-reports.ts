import { diffSnapshots } from "../../domain/compare-snapshots.js";
import { isDrError } from "../../domain/errors.js";
import { reportPeople } from "../../domain/people.js";
import type { RunReadiness, ScopeReadiness, WithReadiness } from "../../domain/readiness/scope-readiness.js";
import { runEffects } from "../../domain/run-effects.js";
import { buildRunReport, type RunReport } from "../../domain/run-report.js";
import type { Snapshot, SnapshotDiff } from "../../domain/snapshot.js";
import { switchedRecordsTtlMs } from "../../domain/traffic-window.js";
import type { ArtifactStore } from "../../ports/artifact-store.js";
import type { Clock } from "../../ports/clock.js";
import type { PeopleNames } from "../../ports/directory.js";
import type { RunStore } from "../../ports/run-store.js";
import type { DrService } from "../dr-service.js";
import { readinessArtifact } from "../readiness/readiness-of-runs.js";
import { renderReportMarkdown } from "./render-report-markdown.js";
import { renderTimelineSvg } from "./render-timeline-svg.js";

export interface RunReportFiles {
  report: WithReadiness<RunReport>;
  markdown: string;
  json: string;
  svg: string;
}

/**
 * The report use case every surface calls (`drbot report`, `/dr report`, the file posted when a run
 * ends): reads the run, its steps, its audit trail and its drill artifacts, and renders them. A run
 * retired after its retention answers with the report archived when it was retired.
 */
export class RunReports {
  constructor(
    private readonly d: {
      service: DrService;
      artifacts: ArtifactStore;
      clock: Clock;
      archives?: Pick<RunStore, "readArchive">;
      /** Display names for the people the report records (IDs are kept beside them). */
      names?: PeopleNames;
    },
  ) {}

  async build(runId: string): Promise<WithReadiness<RunReport>> {
    try {
      return await this.buildLive(runId);
    } catch (error) {
      if (!isDrError(error, "unknown_run") || !this.d.archives) throw error;
      const archived = await this.d.archives.readArchive(runId);
      if (archived === undefined) throw error;
      return JSON.parse(archived) as WithReadiness<RunReport>;
    }
  }

  /** The report of a run still in the store, built from its state now. */
  async buildLive(runId: string): Promise<WithReadiness<RunReport>> {
    const { run, steps, events } = await this.d.service.show(runId);
    const diffs = new Map<string, SnapshotDiff>();
    for (const step of run.plan.steps.filter((s) => s.kind === "k8s.diff")) {
      const diff = await this.diffOf(run.id, step.params);
      if (diff) diffs.set(step.id, diff);
    }
    const snapshots = new Map<string, Snapshot>();
    for (const step of run.plan.steps.filter((s) => s.kind === "k8s.snapshot")) {
      const { site, label } = step.params as { site?: string; label?: string };
      const snap =
        site && label
          ? parse<Snapshot>(await this.d.artifacts.get(run.id, `snapshot:${site}:${label}`))
          : undefined;
      if (snap) snapshots.set(step.id, snap);
    }
    const dnsTtlMs = switchedRecordsTtlMs(run.plan.steps, this.d.service.config.dns.records);
    const readiness = await this.readinessOf(run.id);
    const report = buildRunReport({
      run,
      steps,
      events,
      diffs,
      snapshots,
      now: this.d.clock.now(),
      ...(dnsTtlMs !== undefined ? { dnsTtlMs } : {}),
    });
    const withEffects = { ...report, effects: runEffects(run, steps) };
    return readiness ? { ...withEffects, readiness } : withEffects;
  }

  async files(runId: string): Promise<RunReportFiles> {
    const report = await this.withNames(await this.build(runId));
    return {
      report,
      markdown: renderReportMarkdown(report),
      json: `${JSON.stringify(report, null, 2)}\n`,
      svg: renderTimelineSvg(report),
    };
  }

  /** The scope's readiness the run recorded before and after it (readiness-of-runs.ts), if any. */
  private async readinessOf(runId: string): Promise<RunReadiness | undefined> {
    const [before, after] = await Promise.all(
      (["before", "after"] as const).map(async (moment) =>
        parse<ScopeReadiness>(await this.d.artifacts.get(runId, readinessArtifact(moment))),
      ),
    );
    if (!before && !after) return undefined;
    return { ...(before ? { before } : {}), ...(after ? { after } : {}) };
  }

  /** The report with the display names of the people it records, as far as they can be read now. */
  private async withNames<R extends RunReport>(report: R): Promise<R> {
    if (!this.d.names) return report;
    const names = await this.d.names.namesOf(reportPeople(report));
    return names.size > 0
      ? { ...report, people: { ...report.people, ...Object.fromEntries(names) } }
      : report;
  }

  /** The diff the step recorded; if only the snapshots survived, the diff is computed again from them. */
  private async diffOf(runId: string, params: Record<string, unknown>): Promise<SnapshotDiff | undefined> {
    const { site, before, after } = params as { site?: string; before?: string; after?: string };
    if (!site || !before || !after) return undefined;
    const a = this.d.artifacts;
    const recorded = parse<SnapshotDiff>(await a.get(runId, `diff:${site}:${before}:${after}`));
    if (recorded) return recorded;
    const [b, c] = await Promise.all([
      a.get(runId, `snapshot:${site}:${before}`),
      a.get(runId, `snapshot:${site}:${after}`),
    ]);
    const sb = parse<Snapshot>(b);
    const sc = parse<Snapshot>(c);
    return sb && sc ? diffSnapshots(sb, sc) : undefined;
  }
}

function parse<T>(raw: string | undefined): T | undefined {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    // A damaged artifact leaves the report without that comparison rather than without a report.
    return undefined;
  }
}
