import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";

/**
 * `validate` and `plan` as a new operator runs them, as a spawned program: no Redis runs (REDIS_URL
 * names a port nothing listens on) and no cluster is reachable (the example's kubeconfig does not
 * exist here). They read the configuration and the runbooks and nothing else.
 */
const NO_REDIS = "redis://127.0.0.1:1";

let work: string;

function drbot(env: Record<string, string>, ...args: string[]) {
  return execa(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    env: { PATH: process.env.PATH ?? "", REDIS_URL: NO_REDIS, ...env },
    extendEnv: false,
    reject: false,
    timeout: 60_000,
  });
}

async function example(): Promise<Record<string, unknown>> {
  return parse(await readFile("drbot.example.yaml", "utf8")) as Record<string, unknown>;
}

/** A custom runbook beside the shipped ones, whose DNS switch is on line 9. */
const CUSTOM = `name: traffic-only
title: Move traffic only
kind: failover
phases:
  - name: traffic
    steps:
      - id: switch-dns
        title: DNS weights to DR
        kind: dns.switch
        with: { records: "{{scope.dnsRecords}}", activeSite: "{{sites.to}}" }
      - id: snapshot
        title: etcd snapshot first
        kind: etcd.snapshot
        with: { source: velero-daily }
`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "drbot-offline-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("drbot validate and plan, offline", () => {
  it("validate succeeds on the example configuration with no Redis running and no cluster reachable", async () => {
    const result = await drbot({ DRBOT_CONFIG: "drbot.example.yaml" }, "validate");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain("configuration OK: 2 sites, 3 tiers, 6 applications");
    expect(result.stderr).not.toContain("Redis");
    const json = await drbot({ DRBOT_CONFIG: "drbot.example.yaml" }, "validate", "--json");
    expect(json.exitCode, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      errors: [],
      warnings: [],
      runbooks: ["backup-verify", "drill", "etcd-snapshot", "failback", "failover", "restore-test"],
    });
  });

  it("validate warns when a tier's RTO phase budgets add up to more than its RTO, naming the line", async () => {
    const config = await example();
    const tiers = config.tiers as { name: string; budgets?: unknown }[];
    const configFile = join(work, "strategy-budgets.yaml");
    // tier1 (RTO 2h) left with the strategy's budgets: 15m + 30m + 90m + 45m = 3h.
    const strategyBudgets = tiers.map((t) => {
      if (t.name !== "tier1") return t;
      const { budgets: _, ...rest } = t;
      return rest;
    });
    await writeFile(configFile, stringify({ ...config, tiers: strategyBudgets }));
    const result = await drbot({ DRBOT_CONFIG: configFile }, "validate", "--json");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).warnings).toEqual([
      expect.objectContaining({
        file: configFile,
        path: "tiers[0].budgets",
        line: expect.any(Number),
        message:
          "tier1: its RTO phase budgets add up to 3h, more than its RTO of 2h: a run could keep every phase within budget and still miss the RTO; set tiers[].budgets (detection, decision, activation, validation) to add up to at most 2h",
      }),
    ]);
  });

  it("plan prints the failover plan and its hash with no Redis running and no cluster reachable", async () => {
    const result = await drbot({ DRBOT_CONFIG: "drbot.example.yaml" }, "plan", "failover", "tier1");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^Plan [0-9a-f]{64}: Fail over to the DR site \(real\) for payments, core-api/,
    );
    expect(result.stdout).toContain("switch-dns");
    const json = await drbot({ DRBOT_CONFIG: "drbot.example.yaml" }, "plan", "drill", "payments", "--json");
    expect(json.exitCode, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ runbook: "drill", mode: "drill" });
  });

  it("plan refuses to split a DNS record between applications, and takes the others along with --with-shared", async () => {
    const refused = await drbot({ DRBOT_CONFIG: "drbot.example.yaml" }, "plan", "failover", "reporting");
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("DNS record app.example.com also carries customer-portal");
    expect(refused.stderr).toContain("--with-shared");
    expect(refused.stdout).toBe("");

    const json = await drbot(
      { DRBOT_CONFIG: "drbot.example.yaml" },
      "plan",
      "failover",
      "reporting",
      "--with-shared",
      "--json",
    );
    expect(json.exitCode, json.stderr).toBe(0);
    const plan = JSON.parse(json.stdout) as {
      scope: { applications: string[]; shared: unknown[] };
      steps: { id: string; params: Record<string, unknown> }[];
    };
    expect(plan.scope.applications).toEqual(["customer-portal", "reporting"]);
    expect(plan.scope.shared).toEqual([{ record: "app.example.com", applications: ["customer-portal"] }]);
    expect(plan.steps.find((s) => s.id === "switch-dns")?.params.records).toEqual(["app.example.com"]);
  });

  it("validate refuses a dns.switch when the configuration has no DNS provider, naming file, path and line", async () => {
    const { dns, ...withoutDns } = await example();
    const records = (dns as { records: unknown[] }).records;
    const configFile = join(work, "no-dns-provider.yaml");
    await writeFile(configFile, stringify({ ...withoutDns, dns: { records } }));
    const result = await drbot({ DRBOT_CONFIG: configFile }, "validate");
    expect(result.exitCode).toBe(3);
    // The shipped failover's switch (and its failback's) are named with their lines.
    expect(result.stderr).toMatch(
      /runbooks\/failover\.yaml:\d+: phases\[3\]\.steps\[0\]\.kind: needs a DNS provider, and the configuration has none: set dns\.provider/,
    );
    expect(result.stderr).toMatch(
      /runbooks\/failback\.yaml:\d+: phases\[4\]\.steps\[8\]\.kind: needs a DNS provider/,
    );
    expect(result.stdout).toBe("");
  });

  it("validate checks custom runbooks too, and --json gives every problem with file, path and line for CI", async () => {
    const runbooks = join(work, "custom-runbooks");
    await execa("cp", ["-r", "runbooks", runbooks]);
    await writeFile(join(runbooks, "traffic-only.yaml"), CUSTOM);
    const { dns: _dns, ...withoutDns } = await example();
    const configFile = join(work, "no-dns-at-all.yaml");
    await writeFile(configFile, stringify(withoutDns));
    const result = await drbot({ DRBOT_CONFIG: configFile, DRBOT_RUNBOOKS: runbooks }, "validate", "--json");
    expect(result.exitCode).toBe(3);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      errors: { file: string; path: string; line: number; message: string }[];
    };
    expect(report.ok).toBe(false);
    const custom = report.errors.filter((e) => e.file.endsWith("traffic-only.yaml"));
    expect(custom).toEqual([
      {
        file: join(runbooks, "traffic-only.yaml"),
        path: "phases[0].steps[0].kind",
        line: 9,
        message:
          "needs a DNS provider, and the configuration has none: set dns.provider (external-dns, command or webhook)",
        need: true,
      },
      {
        file: join(runbooks, "traffic-only.yaml"),
        path: "phases[0].steps[0].with.records",
        line: 10,
        message: "cannot switch: no DNS records are configured (dns.records is empty)",
        need: true,
      },
      {
        file: join(runbooks, "traffic-only.yaml"),
        path: "phases[0].steps[1].with.source",
        line: 14,
        message:
          'needs a data source of kind etcd, but "velero-daily" is of kind velero; configured etcd sources: etcd-dc1',
        need: true,
      },
    ]);
  });

  it("plan refuses a runbook whose needs the configuration does not meet, naming the step, with exit 3", async () => {
    const { dns: _dns, ...withoutDns } = await example();
    const configFile = join(work, "plan-no-dns.yaml");
    await writeFile(configFile, stringify(withoutDns));
    const result = await drbot({ DRBOT_CONFIG: configFile }, "plan", "failover", "payments");
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain(
      'A runbook is invalid: runbook "failover": step switch-dns at phases[3].steps[0].kind: needs a DNS provider',
    );
  });

  it("validate warns, without failing, about an application a validation step would not check", async () => {
    const config = await example();
    const apps = config.applications as { name: string; healthChecks?: unknown[] }[];
    const configFile = join(work, "no-checks.yaml");
    await writeFile(
      configFile,
      stringify({
        ...config,
        applications: apps.map((a) => (a.name === "reporting" ? { ...a, healthChecks: [] } : a)),
      }),
    );
    const result = await drbot({ DRBOT_CONFIG: configFile }, "validate");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /runbooks\/failover\.yaml:\d+: warning: phases\[4\]\.steps\[0\]\.forEach: application reporting has no health check for dc2/,
    );
    // The failback validates with the primary's checks, and reporting has none there either.
    expect(result.stderr).toMatch(
      /runbooks\/failback\.yaml:\d+: warning: phases\[5\]\.steps\[0\]\.forEach: application reporting has no health check for dc1/,
    );
    expect(result.stdout).toContain("(3 warning(s))");
  });
});
