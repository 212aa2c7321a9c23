import type { PlanStep, RunRecord, StepRecord } from "./run.js";

/**
 * How long traffic was sent to a site with nothing ready during a run that moved it, measured from
 * what the run recorded. DNS points at the site traffic moves from until the last switch ended plus
 * one TTL (resolvers answer from their cache that long), and at the site it moves to from the first
 * switch's start. The site moved from has nothing ready from the run's start when the probe found
 * it unreachable, else from when it was fenced or scaled to 0; the site moved to has nothing ready
 * until its last wait-ready step ended. The window is the time either overlap lasts.
 *
 * What it cannot know: a site unreachable before the run began was down earlier than the run saw
 * it (the window starts at detection, or at the request), and readiness is the workloads' (their
 * pods Ready), not every dependency behind them.
 */
export interface TrafficWindow {
  /** Milliseconds during which DNS could send a client to a site with nothing ready. */
  noReadySiteMs: number;
  /** The TTL counted after each switch; undefined when the records have none configured. */
  ttlMs?: number;
  /** The overlaps, by site. */
  gaps: { site: string; from: number; to: number }[];
}

/** The window with the path the run took and, on the planned path, its target and verdict. */
export type TrafficReport = TrafficWindow & { path?: string; targetMs?: number; met?: boolean };

/**
 * The path the run took, from its site.probe of the site traffic leaves: planned (it answered) or
 * emergency. The planned path's target is one DNS TTL without a ready site at most.
 */
export function withTarget(
  traffic: TrafficWindow,
  run: Pick<RunRecord, "plan" | "scope">,
  steps: ReadonlyMap<string, StepRecord>,
): TrafficReport {
  const probe = run.plan.steps.find((p) => p.kind === "site.probe" && p.params.site === run.scope.fromSite);
  const outcome = probe ? steps.get(probe.id)?.outcome : undefined;
  const path = outcome === "reachable" ? "planned" : outcome === "unreachable" ? "emergency" : undefined;
  if (path !== "planned") return { ...traffic, ...(path ? { path } : {}) };
  const targetMs = traffic.ttlMs ?? 0;
  return { ...traffic, path, targetMs, met: traffic.noReadySiteMs <= targetMs };
}

const READY_KINDS = new Set(["k8s.wait-ready"]);

export function measureTrafficWindow(
  run: Pick<RunRecord, "plan" | "scope" | "rto" | "mode">,
  steps: ReadonlyMap<string, StepRecord>,
  ttlMs: number | undefined,
  now: number,
): TrafficWindow | undefined {
  if (run.mode === "drill") return undefined;
  const { fromSite, toSite } = run.scope;
  const recorded = (kind: string) =>
    run.plan.steps
      .filter((p) => p.kind === kind)
      .map((p) => ({ plan: p, record: steps.get(p.id) }))
      .filter((s): s is { plan: PlanStep; record: StepRecord } => s.record?.status === "succeeded");
  const switches = recorded("dns.switch").filter((s) => s.plan.params.activeSite === toSite);
  if (switches.length === 0) return undefined;
  const start = run.rto.detectedAt ?? run.rto.requestedAt;
  const end = Math.max(now, ...[...steps.values()].map((r) => r.endedAt ?? 0));
  const switchStart = Math.min(...switches.map((s) => s.record.startedAt ?? s.record.endedAt ?? end));
  const switchEnd = Math.max(...switches.map((s) => s.record.endedAt ?? end));
  const cachedUntil = switchEnd + (ttlMs ?? 0);

  const fromDown = fromSiteDownAt(run.plan.steps, steps, fromSite, start);
  const toReady = siteReadyAt(run.plan.steps, steps, toSite);
  const gaps: TrafficWindow["gaps"] = [];
  if (fromDown !== undefined && fromDown < cachedUntil)
    gaps.push({ site: fromSite, from: Math.max(start, fromDown), to: Math.min(end, cachedUntil) });
  const toReadyAt = toReady ?? end;
  if (switchStart < toReadyAt) gaps.push({ site: toSite, from: switchStart, to: toReadyAt });
  return {
    noReadySiteMs: unionLength(gaps.filter((g) => g.to > g.from)),
    ...(ttlMs !== undefined ? { ttlMs } : {}),
    gaps: gaps.filter((g) => g.to > g.from),
  };
}

/** When the site traffic leaves had nothing ready any more: unreachable at the probe, else stopped. */
function fromSiteDownAt(
  plan: readonly PlanStep[],
  steps: ReadonlyMap<string, StepRecord>,
  site: string,
  start: number,
): number | undefined {
  const times: number[] = [];
  for (const p of plan) {
    const r = steps.get(p.id);
    if (r?.status !== "succeeded" || p.params.site !== site) continue;
    if (p.kind === "site.probe" && r.outcome === "unreachable") times.push(start);
    if (p.kind === "k8s.fence" && r.outcome === "unconfirmed") times.push(start);
    if (p.kind === "k8s.fence" && r.outcome === "confirmed") times.push(r.startedAt ?? start);
    if (p.kind === "k8s.scale" && p.params.replicas === 0) times.push(r.startedAt ?? start);
  }
  return times.length > 0 ? Math.min(...times) : undefined;
}

/** When every wait-ready step of the site had passed (undefined: it never was). */
function siteReadyAt(
  plan: readonly PlanStep[],
  steps: ReadonlyMap<string, StepRecord>,
  site: string,
): number | undefined {
  const waits = plan.filter((p) => READY_KINDS.has(p.kind) && p.params.site === site);
  if (waits.length === 0) return undefined;
  const ends = waits
    .map((p) => steps.get(p.id))
    .map((r) => (r?.status === "succeeded" ? r.endedAt : undefined));
  if (ends.some((e) => e === undefined)) return undefined;
  return Math.max(...(ends as number[]));
}

function unionLength(intervals: { from: number; to: number }[]): number {
  const sorted = [...intervals].sort((a, b) => a.from - b.from);
  let total = 0;
  let cursor = Number.NEGATIVE_INFINITY;
  for (const { from, to } of sorted) {
    const begin = Math.max(from, cursor);
    if (to > begin) total += to - begin;
    cursor = Math.max(cursor, to);
  }
  return total;
}

/** The longest TTL of the DNS records a plan's switches move, in ms (undefined: none configured). */
export function switchedRecordsTtlMs(
  plan: readonly PlanStep[],
  records: readonly { name: string; ttl?: number | undefined }[],
): number | undefined {
  const names = new Set<string>();
  for (const p of plan.filter((s) => s.kind === "dns.switch")) {
    const moved = p.params.records;
    for (const r of records)
      if (moved === "all" || (Array.isArray(moved) && moved.includes(r.name))) names.add(r.name);
  }
  const ttls = records.filter((r) => names.has(r.name) && r.ttl !== undefined).map((r) => r.ttl! * 1000);
  return ttls.length > 0 ? Math.max(...ttls) : undefined;
}
