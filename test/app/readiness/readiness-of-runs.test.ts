import { describe, expect, it } from "vitest";
import { MemoryReadinessStore } from "../../../src/adapters/memory/memory-readiness-store.js";
import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import {
  readinessArtifact,
  readinessOfRuns,
  recordRunsReadiness,
} from "../../../src/app/readiness/readiness-of-runs.js";
import { ReadinessRound } from "../../../src/app/readiness/readiness-round.js";
import { renderReportMarkdown } from "../../../src/app/report/render-report-markdown.js";
import { RunReports } from "../../../src/app/report/run-reports.js";
import { storeArtifacts } from "../../../src/app/store-artifacts.js";
import type { ReadinessReport } from "../../../src/domain/readiness/readiness.js";
import type { RunEvent, RunRecord } from "../../../src/domain/run.js";
import { silentLogger } from "../../../src/ports/logger.js";
import { effect, engineHarness } from "../../support/engine-harness.js";
import { driftFinding, readinessRound } from "../../support/readiness-fixture.js";
import { runRecord } from "../../support/run-fixtures.js";
import { waitFor } from "../../support/wait-for.js";

const clock = { now: () => Date.now() };

function setup() {
  const store = new MemoryRunStore(clock);
  const readiness = new MemoryReadinessStore(clock);
  const artifacts = storeArtifacts(store);
  const observer = readinessOfRuns({ store: readiness, artifacts, clock, log: silentLogger });
  const tell = (type: RunEvent["type"], run: RunRecord) =>
    observer.onRunEvent({ type, at: clock.now(), actor: "drbot", runId: run.id, data: {} }, run, new Map());
  return { store, readiness, artifacts, tell };
}

/** The leader's round, with checks that answer `report` at once. */
function leaderRound(
  readiness: MemoryReadinessStore,
  artifacts: ReturnType<typeof storeArtifacts>,
  report: ReadinessReport,
) {
  return new ReadinessRound({
    assess: async () => ({ ...report, readAt: clock.now() }),
    store: readiness,
    scope: { tiers: ["tier1", "tier3"], applications: [] },
    clock,
    intervalMs: 300_000,
    deadlineMs: 60_000,
    token: "leader",
    log: silentLogger,
    onKept: (kept, requests) => recordRunsReadiness(artifacts, kept, requests),
  });
}

describe("readiness around a run", () => {
  it("records the kept round as the scope's readiness before a drill when it is requested", async () => {
    const { readiness, artifacts, tell } = setup();
    await readiness.keep(readinessRound(clock.now() - 60_000));
    const drill = runRecord({ kind: "drill", mode: "drill" });
    tell("run.requested", drill);
    await waitFor(async () => (await artifacts.get(drill.id, readinessArtifact("before"))) !== undefined);
    const before = JSON.parse((await artifacts.get(drill.id, readinessArtifact("before")))!);
    expect(before).toMatchObject({ verdict: "not_ready", missing: [] });
    expect(before.applications.map((a: { application: string }) => a.application)).toEqual(["payments"]);
    expect(await readiness.requests()).toEqual([]);
  });

  it("asks the leader for a round when a drill is requested and none is kept yet", async () => {
    const { readiness, tell } = setup();
    const drill = runRecord({ kind: "drill", mode: "drill" });
    tell("run.requested", drill);
    await waitFor(async () => (await readiness.requests()).length === 1);
    expect(await readiness.requests()).toMatchObject([
      { runId: drill.id, moment: "before", applications: ["payments"], reason: `${drill.id} requested` },
    ]);
  });

  it("asks for a round when a failover that executed ends, and not for one rejected or a verification", async () => {
    const { readiness, tell } = setup();
    const executed = runRecord({ state: "completed" });
    executed.rto.activationStartedAt = executed.createdAt + 1_000;
    tell("run.state", executed);
    tell("run.state", runRecord({ state: "rejected" }));
    tell("run.state", { ...runRecord({ kind: "verify", state: "completed" }), rto: executed.rto });
    await waitFor(async () => (await readiness.requests()).length >= 1);
    expect((await readiness.requests()).map((r) => `${r.runId} ${r.moment}`)).toEqual([
      `${executed.id} after`,
    ]);
  });

  it("shows in the run's report the readiness before it and after it, with the findings' evidence", async () => {
    const { store, readiness, artifacts, tell } = setup();
    const h = engineHarness({ store, clock });
    const reports = new RunReports({ service: h.service, artifacts, clock });
    await readiness.keep(readinessRound(clock.now() - 60_000));
    const run = await h.createApprovedRun([effect("move")]);
    tell("run.requested", run);
    await waitFor(async () => (await artifacts.get(run.id, readinessArtifact("before"))) !== undefined);
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    const ended = (await store.getRun(run.id))!;
    tell("run.state", ended);
    await waitFor(async () => (await readiness.requests()).length === 1);

    const before = (await reports.files(run.id)).markdown;
    expect(before).toContain("| payments | not ready | - |");
    expect(before).toContain("_After: the watch leader makes a round within seconds of the run's end;");

    const fixed = readinessRound(0, { payments: [{ ...driftFinding, verdict: "ready" }] });
    expect((await leaderRound(readiness, artifacts, fixed).runOnce()).kind).toBe("kept");
    const files = await reports.files(run.id);
    expect(files.report.readiness).toMatchObject({
      before: { verdict: "not_ready" },
      after: { verdict: "ready" },
    });
    const md = files.markdown;
    expect(md).toContain("## Readiness before and after");
    expect(md).toMatch(
      /\| Application \| Before: not ready \(round of .+\) \| After: ready \(round of .+\) \|/,
    );
    expect(md).toContain("| payments | not ready | ready |");
    expect(md).toContain(
      "- payments: not ready: drift: image payments-api: ghcr.io/acme/payments:1.4.2 on dc1, 1.4.1 on dc2",
    );
    expect(md).toContain(
      "  - what to do: deploy ghcr.io/acme/payments:1.4.2 to dc2 (production/payments-api)",
    );
    expect(JSON.parse(files.json).readiness.after.applications[0].verdict).toBe("ready");
    expect(renderReportMarkdown({ ...files.report, readiness: undefined })).not.toContain("## Readiness");
  });
});
