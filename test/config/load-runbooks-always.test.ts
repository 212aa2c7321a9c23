import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRunbooks } from "../../src/config/load-runbooks.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";
import { testConfig } from "../support/config-fixture.js";

const config = testConfig();
const registry = createStepKindRegistry();

async function runbookDir(steps: string[]): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), "drbot-runbooks-"));
  const file = join(dir, "cleanup.yaml");
  const lines = ["name: cleanup", "title: Cleanup", "kind: drill", "phases:", "  - name: main", "    steps:"];
  await writeFile(file, [...lines, ...steps].join("\n"));
  return { dir, file };
}

describe("loading runbooks with steps marked always", () => {
  it("refuses always on a kind that changes a site, naming the step, its file and line", async () => {
    const { dir, file } = await runbookDir([
      "      - { id: scale-down, title: Scale down, kind: k8s.scale, always: true, with: { site: dc2, namespace: production, name: payments-api, replicas: 0 } }",
      "      - { id: script, title: Script, kind: shell, always: true, with: { command: /bin/true } }",
      "      - { id: drop, title: Drop, kind: k8s.delete-namespace, always: true, with: { site: dc2, namespace: drbot-restore-x } }",
    ]);
    const error = (await loadRunbooks(dir, config, registry).catch((e: Error) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain(
      `${file}:7: phases[0].steps[0].always: scale-down is a k8s.scale step, which changes a site: always is only for kinds that change none (checks, proofs, records)`,
    );
    expect(error.message).toContain(`${file}:8: phases[0].steps[1].always: script is a shell step`);
    expect(error.message).toContain(
      `${file}:9: phases[0].steps[2].always: drop is a k8s.delete-namespace step`,
    );
  });

  it("accepts always on kinds that only read, check or record, and on deleting only what the run made", async () => {
    const { dir } = await runbookDir([
      "      - { id: verify, title: Verify, kind: k8s.verify-clean, always: true, with: { sites: [dc2] } }",
      "      - { id: health, title: Health, kind: k8s.health, always: true, with: { site: dc2 } }",
      '      - { id: tell, title: Tell, kind: notify, always: true, with: { text: "cleanup checked" } }',
      "      - { id: drop, title: Drop, kind: k8s.delete-namespace, always: true, with: { site: dc2, namespace: drbot-restore-x, ownedByRun: true } }",
    ]);
    expect([...(await loadRunbooks(dir, config, registry)).keys()]).toEqual(["cleanup"]);
  });
});
