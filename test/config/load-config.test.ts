import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { loadRunbooks } from "../../src/config/load-runbooks.js";
import { createStepKindRegistry } from "../../src/engine/step-kinds/registry.js";

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "drbot-config-"));
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

describe("loadConfig", () => {
  it("loads the shipped example and the shipped runbooks", async () => {
    const config = await loadConfig("drbot.example.yaml");
    expect(config.sites.map((s) => `${s.name}:${s.role}`)).toEqual(["dc1:primary", "dc2:dr"]);
    expect(config.tiers.map((t) => [t.name, t.rto, t.rpo])).toEqual([
      ["tier1", 7_200_000, 900_000],
      ["tier2", 14_400_000, 3_600_000],
      ["tier3", 28_800_000, 14_400_000],
    ]);
    expect(config.approvals).toMatchObject({
      expiry: 1_800_000,
      required: { failover: 2, failback: 2, drill: 1 },
    });
    const runbooks = await loadRunbooks("runbooks", config, createStepKindRegistry());
    expect([...runbooks.keys()].sort()).toEqual([
      "backup-verify",
      "drill",
      "etcd-snapshot",
      "failback",
      "failover",
      "restore-test",
    ]);
  });

  it("names the file, the path and the line of a mistake", async () => {
    const file = await tempFile(
      "bad.yaml",
      [
        "sites:",
        "  - { name: dc1, role: primary, kubeconfig: { context: a } }",
        "  - { name: dc2, role: dr, kubeconfig: { context: b } }",
        "tiers:",
        "  - { name: tier1, rto: 2 hours, rpo: 15m }",
        "applications:",
        "  - { name: app, tier: tier9, namespaces: [prod] }",
      ].join("\n"),
    );
    const error = await loadConfig(file).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(`${file}:5: tiers[0].rto`);
  });

  it("checks references between sections once each section is well-formed", async () => {
    const file = await tempFile(
      "refs.yaml",
      [
        "sites:",
        "  - { name: dc1, role: primary, kubeconfig: { context: a } }",
        "  - { name: dc2, role: dr, kubeconfig: { context: b } }",
        "tiers:",
        "  - { name: tier1, rto: 2h, rpo: 15m }",
        "applications:",
        "  - { name: app, tier: tier9, namespaces: [prod] }",
      ].join("\n"),
    );
    const error = (await loadConfig(file).catch((e: Error) => e)) as Error;
    expect(error.message).toContain(`${file}:7: applications[0].tier: unknown tier "tier9"`);
  });

  it("never echoes a value that may be a secret", async () => {
    const file = await tempFile(
      "secret.yaml",
      "sites: []\ntiers: []\napplications: []\nredis: { url: 'hunter2-password-here' }\n",
    );
    const error = (await loadConfig(file).catch((e: Error) => e)) as Error;
    expect(error.message).toContain("redis.url");
    expect(error.message).not.toContain("hunter2");
  });
});

describe("loadRunbooks", () => {
  it("refuses a broken runbook naming file, path and reason", async () => {
    const config = await loadConfig("drbot.example.yaml");
    const file = await tempFile(
      "broken.yaml",
      [
        "name: broken",
        "title: Broken",
        "kind: failover",
        "phases:",
        "  - name: main",
        "    steps:",
        "      - { id: a, title: A, kind: k8s.teleport }",
        "      - { id: a, title: B, kind: wait, with: { duration: 1s } }",
      ].join("\n"),
    );
    const error = (await loadRunbooks(join(file, ".."), config, createStepKindRegistry()).catch(
      (e: Error) => e,
    )) as Error;
    expect(error.message).toContain(`${file}:7: phases[0].steps[0].kind: unknown step kind "k8s.teleport"`);
    expect(error.message).toContain('duplicate step id "a"');
  });
});
