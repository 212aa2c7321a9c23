import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { hashPlan } from "../../src/domain/plan-hash.js";
import { LEGACY_PLAN } from "../../src/domain/plan-params.js";
import type { Plan, PlanStep } from "../../src/domain/run.js";
import { defineStepKind } from "../../src/engine/step-kind.js";
import { type EngineHarness, effect, engineHarness, Ledger } from "../support/engine-harness.js";

/**
 * Before it runs a step the engine parses the step's raw params (as the runbook gave them) again
 * with the kind's schema and runs with that result, refusing the run when they do not give the
 * stored params. Here without the proof check, which covers the whole plan the same way (see
 * test/domain/evidence/run-evidence.test.ts and evidence-gate.int.test.ts).
 */

const ledger = new Ledger();
/** A kind whose schema makes what JSON cannot keep (a RegExp): it only works with the parsed value. */
const matchKind = defineStepKind({
  kind: "test.match",
  description: "Records whether a name matches a pattern.",
  params: z.object({ pattern: z.string().transform((p) => new RegExp(p)), name: z.string() }).strict(),
  siteParams: [],
  idempotent: true,
  summarize: (p) => `match ${p.name}`,
  async execute(_ctx, p) {
    ledger.entries.push(`${p.name} ${p.pattern.test(p.name) ? "matches" : "does not match"}`);
    return { status: "succeeded" };
  },
});

function harness(): EngineHarness {
  ledger.entries.length = 0;
  return engineHarness({
    store: new MemoryRunStore({ now: () => Date.now() }),
    ledger,
    extraKinds: [matchKind],
  });
}

/** Rewrites the stored plan (hash recomputed, as a plan built that way would carry). */
async function rewritePlan(h: EngineHarness, runId: string, change: (step: PlanStep) => PlanStep) {
  const run = (await h.store.getRun(runId))!;
  const { hash: _, ...rest } = { ...run.plan, steps: run.plan.steps.map(change) };
  const plan: Plan = { ...rest, hash: hashPlan(rest) };
  expect(await h.store.updateRun({ ...run, plan, version: run.version + 1 }, run.version)).toBe(true);
}

describe("step params parsed again before a step runs", () => {
  it("runs each step with what its raw params parse to, not with the stored copy", async () => {
    const h = harness();
    const run = await h.createApprovedRun([
      { id: "match", title: "Match", kind: "test.match", with: { pattern: "^pay", name: "payments" } },
    ]);
    // As Redis keeps it, in JSON: the pattern is {}, and only the params parsed again can test a name.
    await rewritePlan(h, run.id, (s) => JSON.parse(JSON.stringify(s)) as PlanStep);
    expect((await h.store.getRun(run.id))!.plan.steps[0]!.params).toEqual({ pattern: {}, name: "payments" });
    expect(await h.engine.drive(run.id)).toEqual({ driven: true, state: "completed" });
    expect(ledger.entries).toEqual(["payments matches"]);
  });

  it("refuses as tampering a run whose stored params are not what its raw params parse to, running nothing", async () => {
    const h = harness();
    const run = await h.createApprovedRun([effect("scale-up"), effect("switch-dns")]);
    await rewritePlan(h, run.id, (s) =>
      s.id === "switch-dns" ? { ...s, params: { ...s.params, holdMs: 5 } } : s,
    );
    expect(await h.engine.drive(run.id)).toMatchObject({ state: "aborted" });
    const refused = (await h.store.getRun(run.id))!;
    expect(refused.stateReason).toBe(
      "refused, tampering: step switch-dns: its stored parameters are not what the test.effect schema makes of its parameters as given",
    );
    expect(h.ledger.entries).toEqual(["scale-up"]);
  });

  it("refuses as tampering raw params the kind's schema does not accept", async () => {
    const h = harness();
    const run = await h.createApprovedRun([effect("scale-up")]);
    await rewritePlan(h, run.id, (s) => ({ ...s, rawParams: { ...s.rawParams, command: "rm -rf /" } }));
    expect(await h.engine.drive(run.id)).toMatchObject({ state: "aborted" });
    expect((await h.store.getRun(run.id))!.stateReason).toMatch(
      /^refused, tampering: step scale-up: its parameters as given do not parse with the test\.effect schema/,
    );
    expect(h.ledger.entries).toEqual([]);
  });

  it("refuses an unfinished run planned before drbot kept raw params, saying why and to request it again", async () => {
    const h = harness();
    const run = await h.createApprovedRun([effect("scale-up")]);
    await rewritePlan(h, run.id, ({ rawParams: _, ...s }) => s);
    expect(await h.engine.drive(run.id)).toMatchObject({ state: "aborted" });
    expect((await h.store.getRun(run.id))!.stateReason).toBe(
      `refused, not approved as required: ${LEGACY_PLAN}`,
    );
    expect(h.ledger.entries).toEqual([]);
  });
});
