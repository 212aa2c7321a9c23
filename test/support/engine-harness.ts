import { z } from "zod";
import { MemorySiteState } from "../../src/adapters/memory/memory-site-state.js";
import { DrService, type DrServiceDeps } from "../../src/app/dr-service.js";
import type { Config } from "../../src/domain/config.js";
import { buildPlan } from "../../src/domain/plan.js";
import type { RpoReading } from "../../src/domain/rpo.js";
import { initialStepRecords, type RunEvent, type RunRecord, type RunState } from "../../src/domain/run.js";
import type { Runbook } from "../../src/domain/runbook.js";
import { resolveScope, scopeLockKeys } from "../../src/domain/scope.js";
import { RunEngine } from "../../src/engine/run-engine.js";
import { type AnyStepKind, abortableDelay, defineStepKind } from "../../src/engine/step-kind.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import type { Clock } from "../../src/ports/clock.js";
import type { CommandRunner } from "../../src/ports/command-runner.js";
import type { RunObserver } from "../../src/ports/run-observer.js";
import type { RunStore } from "../../src/ports/run-store.js";
import type { SiteStateStore } from "../../src/ports/site-state.js";
import { testConfig, testRunbook } from "./config-fixture.js";
import { provenService, withTestKeys } from "./proven-service.js";
import { type RecordingLogger, recordingLogger } from "./recording-logger.js";
import { waitFor } from "./wait-for.js";

/**
 * A step kind whose effect is observable: it appends its key to a shared ledger. Not idempotent:
 * after a takeover the engine must observe the ledger instead of appending again.
 */
export class Ledger {
  readonly entries: string[] = [];
  running = 0;
  maxRunning = 0;
  count(key: string): number {
    return this.entries.filter((e) => e === key).length;
  }
}

export function ledgerStepKind(
  ledger: Ledger,
  hooks: { before?: (key: string) => Promise<void> | void } = {},
): AnyStepKind {
  return defineStepKind({
    kind: "test.effect",
    description: "Appends its key to the ledger (observable, not idempotent).",
    params: z
      .object({ key: z.string(), holdMs: z.number().default(0), fail: z.boolean().default(false) })
      .strict(),
    siteParams: [],
    idempotent: false,
    summarize: (p) => `effect ${p.key}`,
    async execute(ctx, p) {
      ledger.running++;
      ledger.maxRunning = Math.max(ledger.maxRunning, ledger.running);
      try {
        await hooks.before?.(p.key);
        if (p.holdMs > 0) await abortableDelay(p.holdMs, ctx.signal);
        if (p.fail) return { status: "failed", error: `${p.key} refused` };
        ledger.entries.push(p.key);
        return { status: "succeeded", output: `did ${p.key}` };
      } finally {
        ledger.running--;
      }
    },
    async observe(_ctx, p) {
      return ledger.count(p.key) > 0
        ? { holds: true, evidence: `${p.key} is in the ledger` }
        : { holds: false, evidence: `${p.key} is not in the ledger` };
    },
  });
}

/**
 * An undo kind as runbooks need them: idempotent (taking something back twice is taking it back) and
 * observable (its key in the ledger means it is in effect). Appends its key each time it runs, so a
 * test sees when it ran again instead of being observed.
 */
export function undoStepKind(
  ledger: Ledger,
  hooks: { before?: (key: string) => Promise<void> | void } = {},
): AnyStepKind {
  return defineStepKind({
    kind: "test.undo",
    description: "Appends its key to the ledger (observable, idempotent).",
    params: z.object({ key: z.string(), fail: z.boolean().default(false) }).strict(),
    siteParams: [],
    idempotent: true,
    summarize: (p) => `undo ${p.key}`,
    async execute(_ctx, p) {
      await hooks.before?.(p.key);
      if (p.fail) return { status: "failed", error: `${p.key} refused` };
      ledger.entries.push(p.key);
      return { status: "succeeded", output: `did ${p.key}` };
    },
    async observe(_ctx, p) {
      return ledger.count(p.key) > 0
        ? { holds: true, evidence: `${p.key} is in the ledger` }
        : { holds: false, evidence: `${p.key} is not in the ledger` };
    },
  });
}

/**
 * A read-only kind as `always` steps need (it stands for a proof like k8s.verify-clean, which
 * changes no site): appends its key to the ledger only as the test's record that it ran.
 */
export function proofStepKind(ledger: Ledger): AnyStepKind {
  return defineStepKind({
    kind: "test.proof",
    description: "Records that it ran in the ledger (read-only: changes no site).",
    params: z.object({ key: z.string(), fail: z.boolean().default(false) }).strict(),
    siteParams: [],
    idempotent: true,
    readOnly: true,
    summarize: (p) => `proof ${p.key}`,
    async execute(_ctx, p) {
      if (p.fail) return { status: "failed", error: `${p.key} found something left` };
      ledger.entries.push(p.key);
      return { status: "succeeded", output: `checked ${p.key}` };
    },
  });
}

export class RecordingObserver implements RunObserver {
  readonly events: RunEvent[] = [];
  onRunEvent(event: RunEvent): void {
    this.events.push(event);
  }
  states(): string[] {
    return this.events.filter((e) => e.type === "run.state").map((e) => String(e.data.state));
  }
}

export const noCommands: CommandRunner = {
  async run() {
    throw new Error("no commands in this test");
  },
};

export interface EngineHarness {
  config: Config;
  store: RunStore;
  siteState: SiteStateStore;
  engine: RunEngine;
  service: DrService;
  observer: RecordingObserver;
  /** What the engine and the use cases logged. */
  log: RecordingLogger;
  ledger: Ledger;
  runbooks: Map<string, Runbook>;
  /** Creates an approved run of `steps` directly in the store, ready to drive. */
  createApprovedRun(steps: unknown[], options?: { id?: string; targets?: string[] }): Promise<RunRecord>;
  waitForState(runId: string, states: RunState[], timeoutMs?: number): Promise<RunRecord>;
}

export function engineHarness(options: {
  store: RunStore;
  clock?: Clock;
  ownerId?: string;
  leaseTtlMs?: number;
  maxParallelSteps?: number;
  ledger?: Ledger;
  extraKinds?: AnyStepKind[];
  commands?: CommandRunner;
  /** More services for the steps (a Velero, a site…), beside the commands and the secrets. */
  services?: Record<string, unknown>;
  runbooks?: Runbook[];
  config?: Config;
  readRpo?: () => Promise<RpoReading[]>;
  restorePoints?: DrServiceDeps["restorePoints"];
  /** The kept readiness round requests and approvals read (none when left out). */
  readiness?: DrServiceDeps["readiness"];
  /** Which site serves each application (in memory, every application at home, when left out). */
  siteState?: SiteStateStore;
  /**
   * Whether the service drives the runs people change (true, as `drbot serve`); false as the CLI
   * with --detach, or a process that stops right after writing the change.
   */
  autoStart?: boolean;
}): EngineHarness {
  const config = withTestKeys(options.config ?? testConfig());
  const ledger = options.ledger ?? new Ledger();
  const clock = options.clock ?? { now: () => Date.now() };
  const extra = options.extraKinds ?? [];
  const registry = createStepKindRegistry(
    ledgerStepKind(ledger),
    ...(extra.some((k) => k.kind === "test.undo") ? [] : [undoStepKind(ledger)]),
    proofStepKind(ledger),
    ...extra,
  );
  const siteState = options.siteState ?? new MemorySiteState();
  const observer = new RecordingObserver();
  const log = recordingLogger();
  const engine = new RunEngine({
    store: options.store,
    registry,
    services: {
      siteState,
      ...options.services,
      commands: options.commands ?? noCommands,
      secrets: ["s3cret-token-value"],
    },
    config,
    clock,
    ownerId: options.ownerId ?? "test-owner",
    leaseTtlMs: options.leaseTtlMs ?? 5_000,
    maxParallelSteps: options.maxParallelSteps ?? 8,
    observer,
    log,
    scopeTtlMs: 60_000,
    controlPollMs: 50,
  });
  const runbooks = new Map((options.runbooks ?? []).map((r) => [r.name, r]));
  const service = provenService(
    new DrService({
      config,
      runbooks,
      store: options.store,
      siteState,
      engine,
      registry,
      clock,
      directory: { groupsOf: async (u) => (u === "U0GROUPIE" ? ["S0CMD"] : []) },
      observer,
      log,
      ...(options.autoStart === false ? { autoStart: false } : {}),
      ...(options.readRpo ? { readRpo: options.readRpo } : {}),
      ...(options.restorePoints ? { restorePoints: options.restorePoints } : {}),
      ...(options.readiness ? { readiness: options.readiness } : {}),
    }),
  );
  let counter = 0;
  return {
    config,
    store: options.store,
    siteState,
    engine,
    service,
    observer,
    log,
    ledger,
    runbooks,
    async createApprovedRun(steps, { id, targets = ["payments"] } = {}) {
      const runbook = testRunbook({ phases: [{ name: "main", steps }] });
      const scope = resolveScope(config, targets, "failover");
      const plan = buildPlan({ runbook, config, scope, mode: "real", catalog: registry });
      const now = clock.now();
      const run: RunRecord = {
        id: id ?? `failover-test-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`,
        kind: "failover",
        mode: "real",
        runbook: "test",
        scopeKey: scopeLockKeys(scope, "failover").join(","),
        scope,
        plan,
        state: "approved",
        requestedBy: "U0ONCALL",
        reason: "test",
        source: "cli",
        requiredApprovals: 0,
        approvals: [],
        decisions: [],
        expiresAt: now + 60_000,
        createdAt: now,
        updatedAt: now,
        rto: { requestedAt: now, approvedAt: now },
        tierRtoMs: 7_200_000,
        tierRpoMs: 900_000,
        version: 1,
        annotations: {},
      };
      await options.store.createRun(run, initialStepRecords(plan), {
        type: "run.requested",
        at: now,
        actor: "U0ONCALL",
        runId: run.id,
        data: {},
      });
      return run;
    },
    async waitForState(runId, states, timeoutMs = 10_000) {
      let last: RunRecord | undefined;
      await waitFor(
        async () => {
          last = await options.store.getRun(runId);
          return last !== undefined && states.includes(last.state);
        },
        { timeoutMs, description: `run ${runId} to reach ${states.join("|")} (last: ${last?.state})` },
      );
      return last!;
    },
  };
}

export function effect(
  id: string,
  extra: Record<string, unknown> = {},
  params: Record<string, unknown> = {},
) {
  return { id, title: `Effect ${id}`, kind: "test.effect", with: { key: id, ...params }, ...extra };
}

/** A read-only proof step (test.proof), as a step marked `always` must be. */
export function proof(id: string, extra: Record<string, unknown> = {}, params: Record<string, unknown> = {}) {
  return { id, title: `Proof ${id}`, kind: "test.proof", with: { key: id, ...params }, ...extra };
}

/** An effect step whose undo (test.undo) appends `undo-ID`. */
export function undoable(
  id: string,
  extra: Record<string, unknown> = {},
  params: Record<string, unknown> = {},
) {
  return effect(id, { undo: { kind: "test.undo", with: { key: `undo-${id}` } }, ...extra }, params);
}

/**
 * An approved run of `steps` as an executor that died mid-run leaves it: the run `running` and each
 * of `strandedIds` `running` on its first attempt, so the next drive of it is a takeover.
 */
export async function createStrandedRun(
  h: EngineHarness,
  steps: unknown[],
  strandedIds: string[],
): Promise<RunRecord> {
  const run = await h.createApprovedRun(steps);
  const current = (await h.store.getRun(run.id))!;
  await h.store.updateRun({ ...current, state: "running", version: current.version + 1 }, current.version);
  const records = await h.store.getSteps(run.id);
  for (const id of strandedIds)
    await h.store.putStep(
      run.id,
      { ...records.get(id)!, status: "running", attempts: 1, startedAt: Date.now() },
      {
        type: "step.state",
        at: Date.now(),
        actor: "dead-owner",
        runId: run.id,
        data: { status: "running" },
      },
    );
  return run;
}
