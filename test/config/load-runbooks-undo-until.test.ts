import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRunbooks } from "../../src/config/load-runbooks.js";
import { buildPlan } from "../../src/domain/plan.js";
import { hashPlan } from "../../src/domain/plan-hash.js";
import { resolveScope } from "../../src/domain/scope.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import { testConfig } from "../support/config-fixture.js";

const config = testConfig();
const registry = createStepKindRegistry();

const STOP_WRITES = (until: string) =>
  `      - { id: stop-writes, title: Stop writes, kind: k8s.scale, with: { site: dc1, namespace: production, name: payments-api, replicas: 0 }, undo: { kind: k8s.scale, with: { site: dc1, namespace: production, name: payments-api, replicas: 3 }, until: ${until} } }`;
const CATCH_UP = "      - { id: catch-up, title: Catch up, kind: wait, with: { duration: 1s } }";
const PROMOTE = "      - { id: promote, title: Promote, kind: wait, with: { duration: 1s } }";

async function runbookDir(steps: string[]): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), "drbot-runbooks-"));
  const file = join(dir, "switch.yaml");
  const lines = [
    "name: switch",
    "title: Switch",
    "kind: failover",
    "phases:",
    "  - name: main",
    "    steps:",
  ];
  await writeFile(file, [...lines, ...steps].join("\n"));
  return { dir, file };
}

async function loadError(steps: string[]): Promise<{ message: string; file: string }> {
  const { dir, file } = await runbookDir(steps);
  const error = (await loadRunbooks(dir, config, registry).catch((e: Error) => e)) as Error;
  expect(error).toBeInstanceOf(Error);
  return { message: error.message, file };
}

describe("loading a runbook whose undo has a point of no return (undo.until)", () => {
  it("accepts a later step as the point of no return and keeps it on the plan's undo", async () => {
    const { dir } = await runbookDir([STOP_WRITES("promote"), CATCH_UP, PROMOTE]);
    const runbook = (await loadRunbooks(dir, config, registry)).get("switch")!;
    const plan = buildPlan({
      runbook,
      config,
      scope: resolveScope(config, ["payments"], "failover"),
      mode: "real",
      catalog: registry,
    });
    expect(plan.steps[0]?.undo).toMatchObject({ kind: "k8s.scale", until: "promote" });
  });

  it("refuses a point of no return that names no step of the runbook, with the file and line", async () => {
    const { message, file } = await loadError([STOP_WRITES("promte"), CATCH_UP, PROMOTE]);
    expect(message).toContain(`${file}:7`);
    expect(message).toContain('phases[0].steps[0].undo.until: until names no step of this runbook: "promte"');
  });

  it("refuses a point of no return that comes before the step, or is the step itself", async () => {
    const before = await loadError([CATCH_UP, STOP_WRITES("catch-up"), PROMOTE]);
    expect(before.message).toContain(
      'phases[0].steps[1].undo.until: until must name a step after stop-writes (the point past which its undo must not run); "catch-up" comes before it',
    );
    const itself = await loadError([STOP_WRITES("stop-writes"), PROMOTE]);
    expect(itself.message).toContain('"stop-writes" comes as the step itself');
  });

  it("counts the point of no return in the plan hash: approvals given without it do not hold with it", async () => {
    const { dir } = await runbookDir([STOP_WRITES("promote"), CATCH_UP, PROMOTE]);
    const runbook = (await loadRunbooks(dir, config, registry)).get("switch")!;
    const plan = buildPlan({
      runbook,
      config,
      scope: resolveScope(config, ["payments"], "failover"),
      mode: "real",
      catalog: registry,
    });
    const { hash, ...rest } = plan;
    expect(hashPlan(rest)).toBe(hash);
    const moved = rest.steps.map((s) => (s.undo ? { ...s, undo: { ...s.undo, until: "catch-up" } } : s));
    const dropped = rest.steps.map((s) => {
      if (!s.undo) return s;
      const { until: _, ...undo } = s.undo;
      return { ...s, undo };
    });
    expect(hashPlan({ ...rest, steps: moved })).not.toBe(hash);
    expect(hashPlan({ ...rest, steps: dropped })).not.toBe(hash);
  });

  it("refuses a point of no return in the same group as the step: the two would run side by side", async () => {
    const grouped = (line: string) => line.replace(/ \}$/, ", group: data }");
    const { message } = await loadError([grouped(STOP_WRITES("promote")), grouped(PROMOTE)]);
    expect(message).toContain(
      'phases[0].steps[0].undo.until: until must name a step that starts only once stop-writes is done; "promote" may run beside it (group "data")',
    );
    // The same steps one after the other load.
    const { dir } = await runbookDir([STOP_WRITES("promote"), grouped(CATCH_UP), grouped(PROMOTE)]);
    expect((await loadRunbooks(dir, config, registry)).has("switch")).toBe(true);
  });

  it("loads the shipped failover and failback, whose points of no return wait for their steps", async () => {
    const runbooks = await loadRunbooks(join(import.meta.dirname, "../../runbooks"), config, registry);
    expect(runbooks.has("failover") && runbooks.has("failback")).toBe(true);
  });
});
