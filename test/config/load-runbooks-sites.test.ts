import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRunbooks } from "../../src/config/load-runbooks.js";
import { buildPlan } from "../../src/domain/plan.js";
import { resolveScope } from "../../src/domain/scope.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import { testConfig, testRunbook } from "../support/config-fixture.js";

const config = testConfig();
const registry = createStepKindRegistry();

async function runbookDir(lines: string[]): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), "drbot-runbooks-"));
  const file = join(dir, "typo.yaml");
  await writeFile(file, ["name: typo", "title: Typo", "kind: failover", ...lines].join("\n"));
  return { dir, file };
}

describe("loading runbooks that name sites", () => {
  it("refuses a step naming a site the configuration does not have, with file, line and path", async () => {
    const { dir, file } = await runbookDir([
      "phases:",
      "  - name: main",
      "    steps:",
      "      - { id: health, title: Health, kind: k8s.health, with: { site: dc3 } }",
      "      - { id: capacity, title: Capacity, kind: k8s.capacity, with: { primary: dc1, dr: dr2 } }",
      "      - { id: clean, title: Clean, kind: k8s.verify-clean, with: { sites: [dc1, dc9] } }",
      "      - { id: dns, title: DNS, kind: dns.switch, with: { records: [], activeSite: dc7 } }",
    ]);
    const error = (await loadRunbooks(dir, config, registry).catch((e: Error) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain(
      `${file}:7: phases[0].steps[0].with.site: unknown site "dc3"; configured sites: dc1, dc2`,
    );
    expect(error.message).toContain(`${file}:8: phases[0].steps[1].with.dr: unknown site "dr2"`);
    expect(error.message).toContain(`phases[0].steps[2].with.sites[1]: unknown site "dc9"`);
    expect(error.message).toContain(`phases[0].steps[3].with.activeSite: unknown site "dc7"`);
    expect(error.message).not.toContain('"dc1"');
  });

  it("accepts configured sites, whether written out or through {{sites.*}}", async () => {
    const { dir } = await runbookDir([
      "phases:",
      "  - name: main",
      "    steps:",
      "      - { id: health, title: Health, kind: k8s.health, with: { site: dc1 } }",
      '      - { id: scale, title: Scale, kind: k8s.scale, with: { site: "{{sites.to}}", namespace: production, name: payments-api, replicas: 1 } }',
    ]);
    const runbooks = await loadRunbooks(dir, config, registry);
    expect([...runbooks.keys()]).toEqual(["typo"]);
  });

  it("refuses an undo that names an unknown site, as it would the step", async () => {
    const { dir, file } = await runbookDir([
      "phases:",
      "  - name: main",
      "    steps:",
      "      - id: isolate",
      "        title: Isolate",
      "        kind: k8s.isolate",
      "        with: { site: dc2, namespaces: [production], from: dc1 }",
      "        undo: { kind: k8s.unisolate, with: { site: dc4 } }",
    ]);
    const error = (await loadRunbooks(dir, config, registry).catch((e: Error) => e)) as Error;
    expect(error.message).toContain(
      `${file}:11: phases[0].steps[0].undo.with.site: unknown site "dc4"; configured sites: dc1, dc2`,
    );
  });

  it("refuses to plan a run whose step names an unknown site", () => {
    const runbook = testRunbook({
      phases: [
        {
          name: "main",
          steps: [
            {
              id: "scale",
              title: "Scale",
              kind: "k8s.scale",
              with: { site: "dc3", namespace: "production", name: "payments-api", replicas: 1 },
            },
          ],
        },
      ],
    });
    expect(() =>
      buildPlan({
        runbook,
        config,
        scope: resolveScope(config, ["payments"], "failover"),
        mode: "real",
        catalog: registry,
      }),
    ).toThrow(/phases\[0\]\.steps\[0\]\.with\.site: unknown site "dc3"/);
  });
});
