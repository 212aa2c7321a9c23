import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

/**
 * The drbot.yaml the deploy manifests ship is complete: every runbook in the image (runbooks/)
 * finds the DNS provider, data sources and health checks it needs. Checked the way a CI pipeline
 * would, with `drbot validate --json` as a program, no Redis and no cluster.
 */
let work: string;
let configFile: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "drbot-configmap-"));
  const [configMap] = parseAllDocuments(await readFile("deploy/kubernetes/configmap.yaml", "utf8")).map(
    (d) => d.toJS() as { data: Record<string, string> },
  );
  configFile = join(work, "drbot.yaml");
  await writeFile(configFile, configMap!.data["drbot.yaml"]!);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("deploy/kubernetes/configmap.yaml", () => {
  it("passes drbot validate with the shipped runbooks: no error, no warning", async () => {
    const result = await execa(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "--config",
        configFile,
        "--runbooks",
        "runbooks",
        "validate",
        "--json",
      ],
      {
        env: { PATH: process.env.PATH ?? "", REDIS_URL: "redis://127.0.0.1:1" },
        extendEnv: false,
        reject: false,
        timeout: 60_000,
      },
    );
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      errors: unknown[];
      warnings: unknown[];
      runbooks: string[];
    };
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.runbooks).toEqual([
      "backup-verify",
      "drill",
      "etcd-snapshot",
      "failback",
      "failover",
      "restore-test",
    ]);
  });
});
