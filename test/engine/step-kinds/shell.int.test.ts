import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { parseEnvironment } from "../../../src/config/environment.js";
import type { StepRecord } from "../../../src/domain/run.js";
import type { Runtime } from "../../../src/runtime/create-runtime.js";
import { createProvenRuntime } from "../../support/proven-runtime.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * Shell steps run as drbot runs them in production (the composition root's command runner, real
 * child processes): the program sees an allow-listed environment, never drbot's tokens and
 * passwords, even when it asks for them by name; a credential a program prints is redacted from its
 * output. The secrets are every kind drbot holds: Slack's tokens and signing secret, the Redis and
 * Sentinel passwords, and the ones the configuration names (PostgreSQL, the DNS webhook's token,
 * the SMTP password, an Alertmanager token, a PagerDuty routing key). None of them has a shape the
 * redaction would know without being told (no "password=" before it), except the Slack tokens.
 */
const SECRETS = {
  SLACK_BOT_TOKEN: "xoxb-7-shell-step-must-not-see-this",
  SLACK_APP_TOKEN: "xapp-1-shell-step-must-not-see-this",
  SLACK_SIGNING_SECRET: "signing-secret-shell-test-4d1e",
  REDIS_PASSWORD: "redis-password-shell-test-9c2a",
  REDIS_SENTINEL_PASSWORD: "sentinel-password-shell-test-1b8e",
  DRBOT_TEST_PG_PASSWORD: "pg-password-shell-test-77f3",
  DRBOT_TEST_DNS_TOKEN: "dns-token-shell-test-5a0c",
  DRBOT_TEST_SMTP_PASSWORD: "smtp-password-shell-test-e41d",
  DRBOT_TEST_ALERTMANAGER_TOKEN: "alertmanager-token-shell-test-93f0",
  DRBOT_TEST_PAGERDUTY_KEY: "pagerduty-key-shell-test-2c7b",
};
let dir: string;
let rt: Runtime;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "drbot-shell-"));
  await mkdir(join(dir, "runbooks"));
  // A file holding a credential, as a tool's own configuration might.
  const credentials = join(dir, "credentials");
  await writeFile(
    credentials,
    `user=drbot\n${Object.entries(SECRETS)
      .map(([name, value]) => `${name} ${value}`)
      .join("\n")}\n`,
  );
  await writeFile(
    join(dir, "drbot.yaml"),
    stringify({
      sites: [
        { name: "dc1", role: "primary", kubeconfig: { path: join(dir, "none"), context: "dc1" } },
        { name: "dc2", role: "dr", kubeconfig: { path: join(dir, "none"), context: "dc2" } },
      ],
      tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
      applications: [{ name: "payments", tier: "tier1", namespaces: ["production"] }],
      dataSources: [
        {
          name: "pg",
          kind: "postgres",
          primary: { host: "127.0.0.1", user: "drbot", passwordEnv: "DRBOT_TEST_PG_PASSWORD" },
          replica: { host: "127.0.0.1", user: "drbot", passwordEnv: "DRBOT_TEST_PG_PASSWORD" },
        },
      ],
      slack: {
        permissions: { drill: { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1"] } } },
      },
      dns: { provider: { kind: "webhook", url: "http://127.0.0.1:9/dns", tokenEnv: "DRBOT_TEST_DNS_TOKEN" } },
      notifications: {
        email: {
          smtp: {
            host: "127.0.0.1",
            usernameEnv: "DRBOT_TEST_SMTP_USER",
            passwordEnv: "DRBOT_TEST_SMTP_PASSWORD",
          },
          from: "drbot@example.com",
          to: ["ops@example.com"],
        },
        webhooks: [
          {
            name: "alertmanager",
            format: "alertmanager",
            url: "http://127.0.0.1:9/api/v2/alerts",
            tokenEnv: "DRBOT_TEST_ALERTMANAGER_TOKEN",
          },
          {
            name: "pagerduty",
            format: "pagerduty",
            url: "http://127.0.0.1:9/v2/enqueue",
            routingKeyEnv: "DRBOT_TEST_PAGERDUTY_KEY",
          },
        ],
      },
    }),
  );
  const shell = (id: string, params: Record<string, unknown>) => ({
    id,
    title: id,
    kind: "shell",
    with: { idempotent: true, ...params },
    onFailure: "continue",
  });
  await writeFile(
    join(dir, "runbooks", "drill.yaml"),
    stringify({
      name: "drill",
      title: "Environment drill",
      kind: "drill",
      approvals: { required: 1 },
      phases: [
        {
          name: "check",
          steps: [
            shell("show-environment", { command: "env" }),
            shell("pass-named", { command: "env", passEnv: ["DRBOT_TEST_VISIBLE"] }),
            shell("ask-for-token", { command: "env", passEnv: ["SLACK_BOT_TOKEN"] }),
            shell("ask-for-password", { command: "env", passEnv: ["DRBOT_TEST_PG_PASSWORD"] }),
            shell("print-credential", { command: "cat", args: [credentials] }),
          ],
        },
      ],
    }),
  );
  rt = await createProvenRuntime({
    configPath: join(dir, "drbot.yaml"),
    runbooksDir: join(dir, "runbooks"),
    env: parseEnvironment({
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      LANG: "C.UTF-8",
      DRBOT_TEST_VISIBLE: "visible-value",
      DRBOT_TEST_SMTP_USER: "drbot-alerts",
      ...SECRETS,
    }),
    store: new MemoryRunStore({ now: () => Date.now() }),
  });
});
afterAll(async () => {
  await rt?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a shell step", () => {
  let steps: Map<string, StepRecord>;

  beforeAll(async () => {
    const { run } = await rt.service.request({
      actor: "U0ONCALL",
      runbook: "drill",
      targets: ["payments"],
      reason: "environment check",
      source: "cli",
    });
    await rt.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash });
    await waitFor(
      async () => ["completed", "completed_with_exceptions"].includes((await rt.store.getRun(run.id))!.state),
      { timeoutMs: 30_000, description: "the drill to finish" },
    );
    steps = await rt.store.getSteps(run.id);
  });

  it("cannot see SLACK_BOT_TOKEN, the signing secret or any password: its environment is the allow-list", () => {
    const output = steps.get("show-environment")!.output ?? "";
    expect(steps.get("show-environment")!.status).toBe("succeeded");
    const names = output
      .split("\n")
      .map((line) => line.split("=")[0])
      .sort();
    expect(names).toEqual(["HOME", "LANG", "PATH"]);
    for (const secret of Object.values(SECRETS)) expect(output).not.toContain(secret);
    expect(output).not.toContain("SLACK_BOT_TOKEN");
  });

  it("gets the variables it names", () => {
    expect(steps.get("pass-named")!.output).toContain("DRBOT_TEST_VISIBLE=visible-value");
  });

  it("fails, saying why, when it names one of drbot's own secrets, and never sees it", () => {
    for (const [id, name] of [
      ["ask-for-token", "SLACK_BOT_TOKEN"],
      ["ask-for-password", "DRBOT_TEST_PG_PASSWORD"],
    ] as const) {
      const record = steps.get(id)!;
      expect(record.status).toBe("failed");
      expect(record.error).toBe(
        `${name} is one of drbot's own secrets and is never given to a program; give the program a credential of its own`,
      );
      expect(record.output ?? "").not.toContain(SECRETS[name]);
    }
  });

  it("has every secret drbot holds redacted from what it prints: Slack's, Redis's, Sentinel's and each one the configuration names", () => {
    const record = steps.get("print-credential")!;
    expect(record.status).toBe("succeeded");
    expect(record.output).toContain("user=drbot");
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(record.output).toContain(`${name} [redacted]`);
      expect(record.output).not.toContain(value);
    }
  });

  it("leaves no secret in the run's trail or its report", async () => {
    const runs = await rt.store.listRuns({ limit: 1 });
    const events = await rt.store.readEvents(runs[0]!.id);
    const report = await rt.reports.files(runs[0]!.id);
    const trail = JSON.stringify({ runs, events, steps: [...steps.values()], report });
    for (const value of Object.values(SECRETS)) expect(trail).not.toContain(value);
  });
});
