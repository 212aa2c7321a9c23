import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { parseEnvironment } from "../../../src/config/environment.js";
import type { StepRecord } from "../../../src/domain/run.js";
import { createRuntime, type Runtime } from "../../../src/runtime/create-runtime.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * Shell steps run as drbot runs them in production (the composition root's command runner, real
 * child processes): the program sees an allow-listed environment, never drbot's tokens and
 * passwords, even when it asks for them by name; a credential a program prints is redacted from its
 * output.
 */
const SECRETS = {
  SLACK_BOT_TOKEN: "xoxb-7-shell-step-must-not-see-this",
  SLACK_SIGNING_SECRET: "signing-secret-shell-test-4d1e",
  REDIS_PASSWORD: "redis-password-shell-test-9c2a",
  DRBOT_TEST_PG_PASSWORD: "pg-password-shell-test-77f3",
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
    `user=drbot\nredis ${SECRETS.REDIS_PASSWORD} pg ${SECRETS.DRBOT_TEST_PG_PASSWORD}\n`,
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
  rt = await createRuntime({
    configPath: join(dir, "drbot.yaml"),
    runbooksDir: join(dir, "runbooks"),
    env: parseEnvironment({
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      LANG: "C.UTF-8",
      DRBOT_TEST_VISIBLE: "visible-value",
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

  it("has the Redis and PostgreSQL passwords it prints redacted from its output", () => {
    const record = steps.get("print-credential")!;
    expect(record.status).toBe("succeeded");
    expect(record.output).toContain("user=drbot");
    expect(record.output).toContain("redis [redacted] pg [redacted]");
  });
});
