import { describe, expect, it } from "vitest";
import type { PlanStep, RunRecord, StepRecord } from "../../src/domain/run.js";
import { measureTrafficWindow } from "../../src/domain/traffic-window.js";

const step = (id: string, kind: string, params: Record<string, unknown>): PlanStep => ({
  id,
  runbookStepId: id,
  phase: "p",
  rtoPhase: "activation",
  title: id,
  kind,
  params,
  timeoutMs: 1,
  retries: 0,
  retryDelayMs: 0,
  onFailure: "pause",
  needs: [],
  summary: id,
});

const plan = [
  step("probe-primary", "site.probe", { site: "dc1" }),
  step("fence-primary", "k8s.fence", { site: "dc1" }),
  step("wait-ready", "k8s.wait-ready", { site: "dc2" }),
  step("switch-dns", "dns.switch", { activeSite: "dc2" }),
  step("scale-primary-down", "k8s.fence", { site: "dc1" }),
];

function run(): Pick<RunRecord, "plan" | "scope" | "rto" | "mode"> {
  return {
    mode: "real",
    plan: { steps: plan } as RunRecord["plan"],
    scope: { applications: ["payments"], tiers: ["tier1"], fromSite: "dc1", toSite: "dc2" },
    rto: { requestedAt: 0 },
  };
}

function records(entries: [string, Partial<StepRecord>][]): Map<string, StepRecord> {
  return new Map(
    entries.map(([id, r]) => [id, { id, status: "succeeded", attempts: 1, ...r } as StepRecord]),
  );
}

describe("the no-ready-site window of a run that moved traffic", () => {
  it("is nothing on the planned path: DR ready before DNS moved, the primary scaled down one TTL after", () => {
    const steps = records([
      ["probe-primary", { outcome: "reachable", startedAt: 0, endedAt: 1 }],
      ["fence-primary", { status: "skipped" }],
      ["wait-ready", { startedAt: 10, endedAt: 100 }],
      ["switch-dns", { startedAt: 110, endedAt: 120 }],
      ["scale-primary-down", { outcome: "confirmed", startedAt: 150, endedAt: 160 }],
    ]);
    expect(measureTrafficWindow(run(), steps, 30, 200)).toEqual({ noReadySiteMs: 0, ttlMs: 30, gaps: [] });
  });

  it("counts the cached answers when the primary is scaled down before its TTL has passed", () => {
    const steps = records([
      ["probe-primary", { outcome: "reachable" }],
      ["wait-ready", { startedAt: 10, endedAt: 100 }],
      ["switch-dns", { startedAt: 110, endedAt: 120 }],
      ["scale-primary-down", { outcome: "confirmed", startedAt: 130, endedAt: 140 }],
    ]);
    expect(measureTrafficWindow(run(), steps, 30, 200)?.noReadySiteMs).toBe(20);
  });

  it("runs from the request to one TTL after the switch on the emergency path, the primary down all along", () => {
    const steps = records([
      ["probe-primary", { outcome: "unreachable", startedAt: 5, endedAt: 6 }],
      ["fence-primary", { outcome: "unconfirmed", startedAt: 7, endedAt: 8 }],
      ["wait-ready", { startedAt: 10, endedAt: 100 }],
      ["switch-dns", { startedAt: 110, endedAt: 120 }],
    ]);
    expect(measureTrafficWindow(run(), steps, 30, 200)).toEqual({
      noReadySiteMs: 150,
      ttlMs: 30,
      gaps: [{ site: "dc1", from: 0, to: 150 }],
    });
  });

  it("counts DNS sent to DR before its workloads were ready", () => {
    const steps = records([
      ["probe-primary", { outcome: "reachable" }],
      ["switch-dns", { startedAt: 50, endedAt: 60 }],
      ["wait-ready", { startedAt: 10, endedAt: 100 }],
    ]);
    expect(measureTrafficWindow(run(), steps, 30, 200)?.gaps).toEqual([{ site: "dc2", from: 50, to: 100 }]);
  });

  it("says nothing for a run that moved no traffic", () => {
    expect(measureTrafficWindow(run(), records([["probe-primary", { outcome: "reachable" }]]), 30, 200)).toBe(
      undefined,
    );
  });
});
