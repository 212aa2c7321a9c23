import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { loadConfig } from "../../src/config/load-config.js";
import { loadRunbooks } from "../../src/config/load-runbooks.js";
import { buildRunReport } from "../../src/domain/run-report.js";
import type { AnyStepKind } from "../../src/engine/step-kind.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import type { Runtime } from "../../src/runtime/create-runtime.js";
import { startTestClusters, type TestClusters } from "../support/k8s-testenv.js";
import { createProvenRuntime } from "../support/proven-runtime.js";
import { readPaymentsReplicas, seedPaymentsDeployments } from "../support/seed-payments-deployments.js";
import { startShippedDrill } from "../support/start-shipped-drill.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The shipped drill, unchanged, aborted by an approver at each of its steps in turn on two real
 * clusters: the list of steps is read from runbooks/drill.yaml, so a step added there is covered.
 * At the checklist the run is waiting for a person; at every other step the abort arrives while the
 * step is in flight, after its work is done (the hardest case: its effect is there but the step is
 * not recorded as succeeded). Each time the run must end aborted having undone what it did, its own
 * verify-clean (which runs always) must prove from its ledger that nothing of it is left, the report
 * must say so, and kubectl must agree: no object labelled with the run on either cluster, DR's
 * workloads back at their standby replicas, the primary's untouched.
 *
 * What this cannot show: that the isolation cut traffic while it stood. KWOK enforces no
 * NetworkPolicy; the policies themselves are checked in test/domain/isolation.test.ts and
 * test/engine/step-kinds/k8s-isolation.k8s.test.ts.
 */
let clusters: TestClusters;
let configFile: string;
let health: Server;
let stepIds: string[] = [];
/** The drill's steps that wait for a person (its pre-test checklist). */
let manual = new Set<string>();

/** Which runbook step to hold in flight, and whether a step of it is held now. */
const hold = { at: "", done: false };

/**
 * Every step kind of the registry, unchanged but for one thing: the first time a step of the held
 * runbook step finishes its work, it stays in flight until the run is stopped.
 */
function holdingKinds(): AnyStepKind[] {
  const registry = createStepKindRegistry();
  return registry.kinds().map((name) => {
    const kind = registry.get(name)!;
    return {
      ...kind,
      async execute(ctx, params) {
        const result = await kind.execute(ctx, params);
        // A step waiting for a person (the checklist) is aborted while it waits, not held.
        if (ctx.step.runbookStepId === hold.at && !hold.done && result.status !== "waiting") {
          hold.done = true;
          await new Promise((_, reject) => {
            if (ctx.signal.aborted) reject(ctx.signal.reason);
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
          });
        }
        return result;
      },
    } satisfies AnyStepKind;
  });
}

beforeAll(async () => {
  clusters = await startTestClusters();
  health = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("ok"));
  await new Promise<void>((resolve) => health.listen(0, "127.0.0.1", resolve));
  await seedPaymentsDeployments(clusters, "dc1", 3, 2);
  await seedPaymentsDeployments(clusters, "dc2", 0, 0);
  const raw = clusters.rawConfig() as {
    sites: Record<string, unknown>[];
    applications: Record<string, unknown>[];
  };
  const { port } = health.address() as AddressInfo;
  const dir = await mkdtemp(join(tmpdir(), "drbot-drill-abort-"));
  configFile = join(dir, "drbot.yaml");
  await writeFile(
    configFile,
    stringify({
      ...raw,
      sites: raw.sites.map((s) => ({ ...s, requestTimeout: "5s" })),
      applications: raw.applications.map((a) => ({
        ...a,
        healthChecks: [{ name: "api", url: `http://127.0.0.1:${port}/healthz`, timeout: "2s" }],
      })),
    }),
  );
  const drill = (await loadRunbooks("runbooks", await loadConfig(configFile), createStepKindRegistry())).get(
    "drill",
  )!;
  stepIds = drill.phases.flatMap((p) => p.steps.map((s) => s.id));
  manual = new Set(
    drill.phases
      .flatMap((p) => p.steps.filter((s) => s.kind === "checklist" || s.kind === "approval"))
      .map((s) => s.id),
  );
  // startShippedDrill ticks the pre-test checklist: a drill held at a later step has passed it.
  expect([...manual]).toEqual(["pre-test-checklist"]);
}, 600_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve()));
  await clusters?.stop();
});

describe("the shipped drill aborted at each of its steps", () => {
  it("reads its steps from runbooks/drill.yaml", () => {
    expect(stepIds).toContain("isolate");
    expect(stepIds).toContain("scale-up");
    expect(stepIds.at(-1)).toBe("announce");
  });

  // The list is read in beforeAll; vitest collects tests before it runs, so one test walks it.
  it("leaves nothing behind, whichever step it is aborted at, and proves it", async () => {
    const outcomes: string[] = [];
    for (const stepId of stepIds) {
      outcomes.push(`${stepId}: ${await abortAt(stepId)}`);
    }
    expect(outcomes).toEqual(stepIds.map((id) => `${id}: aborted, undone, nothing left behind`));
  }, 900_000);
});

/** Runs the shipped drill, aborts it at `stepId`, and says what it left; throws with details when a check fails. */
async function abortAt(stepId: string): Promise<string> {
  const rt: Runtime = await createProvenRuntime({
    configPath: configFile,
    runbooksDir: "runbooks",
    store: new MemoryRunStore({ now: () => Date.now() }),
    extraStepKinds: holdingKinds(),
  });
  try {
    hold.at = stepId;
    hold.done = false;
    let runId: string;
    if (manual.has(stepId)) {
      const { run } = await rt.service.request({
        actor: "U0ONCALL",
        runbook: "drill",
        targets: ["payments"],
        reason: `abort at ${stepId}`,
        source: "cli",
      });
      await rt.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash });
      await waitFor(async () => (await rt.store.getRun(run.id))?.state === "waiting_manual", {
        timeoutMs: 30_000,
        description: "the pre-test checklist",
      });
      runId = run.id;
    } else {
      runId = (await startShippedDrill(rt, `abort at ${stepId}`)).id;
      await waitFor(async () => hold.done, {
        timeoutMs: 60_000,
        description: `the drill to reach ${stepId}`,
      });
    }
    await rt.service.abort({ actor: "U0A1", runId, note: `abort at ${stepId}` });
    await waitFor(async () => (await rt.store.getRun(runId))?.state === "aborted", {
      timeoutMs: 60_000,
      description: `the drill aborted at ${stepId} to end`,
    });
    const run = (await rt.store.getRun(runId))!;
    const steps = await rt.store.getSteps(runId);
    const events = await rt.store.readEvents(runId);
    const problems: string[] = [];
    const verify = steps.get("verify-clean");
    if (verify?.status !== "succeeded")
      problems.push(`verify-clean ${verify?.status}: ${verify?.error ?? verify?.output}`);
    const report = buildRunReport({ run, steps, events, now: Date.now() });
    if (!report.drill?.clean) problems.push(`report: ${report.outcome}`);
    for (const step of run.plan.steps) {
      const record = steps.get(step.id);
      if (step.undo && record && record.status !== "not_started" && !record.undone)
        problems.push(`${step.id} (${record.status}) not undone: ${record.output}`);
    }
    for (const site of ["dc1", "dc2"] as const) {
      const labelled = await clusters.kubectl(
        site,
        "get",
        "networkpolicy,namespace",
        "-A",
        "-l",
        `drbot.io/run-id=${runId}`,
        "-o",
        "name",
      );
      if (labelled) problems.push(`${site} still has ${labelled.replace(/\n/g, ", ")}`);
    }
    const replicas = {
      dc1: [
        await readPaymentsReplicas(clusters, "dc1", "production"),
        await readPaymentsReplicas(clusters, "dc1", "staging"),
      ],
      dc2: [
        await readPaymentsReplicas(clusters, "dc2", "production"),
        await readPaymentsReplicas(clusters, "dc2", "staging"),
      ],
    };
    if (!replicas.dc2.every((r) => r.startsWith("0/")))
      problems.push(`dc2 payments-api at ${replicas.dc2.join(", ")}`);
    if (replicas.dc1.map((r) => r.split("/")[0]).join(",") !== "3,2")
      problems.push(`dc1 payments-api at ${replicas.dc1.join(", ")}`);
    if (problems.length > 0) return `left behind: ${problems.join("; ")}`;
    return "aborted, undone, nothing left behind";
  } finally {
    await rt.close();
  }
}
