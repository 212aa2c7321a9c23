import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";

/**
 * The CLI drives a whole run on the shipped example configuration, against a real Redis: validate,
 * plan, run, two approvals (the requester's own refused), status, show. The runbook uses shell and
 * http steps only, so it needs no cluster.
 */
const RUNBOOK = (port: number) => `
name: failover
title: CLI failover
kind: failover
phases:
  - name: activate
    steps:
      - id: echo-scope
        title: Echo the scope, literally
        kind: shell
        with: { command: printf, args: ["%s|", "apps={{scope.applications}}", "payments; rm -rf /", "$(id)", "\`id\`"] , idempotent: true }
        timeout: 10s
  - name: validate
    rtoPhase: validation
    steps:
      - id: health
        title: Health endpoint answers
        kind: http
        with: { url: "http://127.0.0.1:${port}/healthz", bodyIncludes: ok }
        timeout: 5s
        retries: 1
`;

describe("drbot CLI", () => {
  let redis: RedisServer;
  let http: Server;
  let port = 0;
  let runbooks = "";
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    redis = await startRedisServer();
    http = createServer((req, res) =>
      res.writeHead(req.url === "/healthz" ? 200 : 404).end(req.url === "/healthz" ? "ok" : ""),
    );
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    port = (http.address() as { port: number }).port;
    runbooks = await mkdtemp(join(tmpdir(), "drbot-cli-runbooks-"));
    await writeFile(join(runbooks, "failover.yaml"), RUNBOOK(port));
    env = {
      ...process.env,
      DRBOT_CONFIG: "drbot.example.yaml",
      DRBOT_RUNBOOKS: runbooks,
      REDIS_URL: redis.url,
    };
  });
  afterAll(async () => {
    await new Promise((resolve) => http?.close(resolve));
    await redis?.stop();
  });

  async function cli(
    ...argv: string[]
    // biome-ignore lint/suspicious/noExplicitAny: the CLI's --json output is asserted field by field
  ): Promise<{ code: number; out: string; err: string; json: () => any }> {
    let out = "";
    let err = "";
    const code = await runCli(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env });
    return { code, out, err, json: () => JSON.parse(out) };
  }

  it("drives a failover from request to completion", async () => {
    const validate = await cli("validate");
    expect(validate.code, validate.err).toBe(0);
    expect(validate.out).toContain("configuration OK");

    const plan = await cli("plan", "failover", "payments", "--json");
    expect(plan.code, plan.err).toBe(0);
    const hash = plan.json().hash as string;
    expect(plan.json().steps.map((s: { id: string }) => s.id)).toEqual(["echo-scope", "health"]);

    const requested = await cli(
      "run",
      "failover",
      "payments",
      "--reason",
      "DC1 unreachable",
      "--as",
      "U0ONCALL1",
      "--json",
    );
    expect(requested.code, requested.err).toBe(0);
    const runId = requested.json().id as string;
    expect(requested.json()).toMatchObject({
      state: "pending_approval",
      requiredApprovals: 2,
      plan: { hash },
    });

    const self = await cli("approve", runId, "--plan", hash, "--as", "U0ONCALL1");
    expect(self.code).toBe(1);
    expect(self.err).toContain("You cannot approve your own request");

    // The configured sources cannot be read here (no database, no Velero): the data at risk is
    // unknown, the worst case, so approvers must accept the loss explicitly.
    expect(requested.json().rpoRisk).toMatchObject({ tier: "tier1" });
    const unaccepted = await cli("approve", runId, "--plan", hash, "--as", "U0APPROVER1");
    expect(unaccepted.code).toBe(1);
    expect(unaccepted.err).toContain("accept it explicitly");
    expect(unaccepted.err).toContain("--accept-data-loss");

    const first = await cli(
      "approve",
      runId,
      "--plan",
      hash,
      "--as",
      "U0APPROVER1",
      "--accept-data-loss",
      "--json",
    );
    expect(first.code, first.err).toBe(0);
    expect(first.json()).toMatchObject({ state: "pending_approval", approvals: [{ userId: "U0APPROVER1" }] });

    const second = await cli(
      "approve",
      runId,
      "--plan",
      hash,
      "--as",
      "U0APPROVER2",
      "--accept-data-loss",
      "--json",
    );
    expect(second.code, second.err).toBe(0);
    expect(second.json().run).toMatchObject({ id: runId, state: "completed" });

    const status = await cli("status", "--json");
    expect(status.code).toBe(0);
    expect(status.json().activeRuns).toEqual([]);

    const show = await cli("show", runId, "--json");
    expect(show.code).toBe(0);
    const shown = show.json();
    expect(shown.steps["echo-scope"]).toMatchObject({ status: "succeeded" });
    // Shell metacharacters arrive as literal arguments: printf echoes them back, nothing ran.
    expect(shown.steps["echo-scope"].output).toBe("apps=payments|payments; rm -rf /|$(id)|`id`|");
    expect(shown.steps.health).toMatchObject({ status: "succeeded" });
    expect(shown.events.map((e: { type: string }) => e.type)).toContain("run.refusal");

    const text = await cli("show", runId);
    expect(text.out).toContain("state:     completed");
    const runs = await cli("runs");
    expect(runs.out).toContain(runId);
  });

  it("refuses scope text with shell metacharacters before anything is planned", async () => {
    for (const evil of ["payments; rm -rf /", "$(id)", "`id`", "payments\nrm -rf /"]) {
      const result = await cli("run", "failover", evil, "--reason", "x", "--as", "U0ONCALL1");
      expect(result.code).toBe(2);
      expect(result.err).toContain("is not a tier or application name");
    }
  });

  it("exits 3 naming the file and the path when a runbook is broken", async () => {
    const dir = await mkdtemp(join(tmpdir(), "drbot-cli-broken-"));
    await writeFile(
      join(dir, "bad.yaml"),
      "name: bad\ntitle: Bad\nkind: failover\nphases:\n  - name: p\n    steps:\n      - { id: s, title: S, kind: shell, with: { command: 'rm -rf /' } }\n",
    );
    const result = await cli("validate", "--runbooks", dir);
    expect(result.code).toBe(3);
    expect(result.err).toContain(`${join(dir, "bad.yaml")}:7: phases[0].steps[0].with.command`);
  });

  it("says how to use it and what went wrong, with documented exit codes", async () => {
    expect((await cli("frobnicate")).code).toBe(2);
    expect((await cli("approve", "failover-0000-0000-000000", "--as", "U0APPROVER1")).err).toContain(
      "--plan HASH",
    );
    expect((await cli("show", "failover-0000-0000-000000")).code).toBe(2);
    const noRedis = await runCli(["status"], {
      out: () => {},
      err: () => {},
      env: { ...env, REDIS_URL: "redis://127.0.0.1:1" },
    });
    expect(noRedis).toBe(4);
  });

  it("runs as a program: drbot --version", async () => {
    const result = await execa(process.execPath, ["--import", "tsx", "src/cli/main.ts", "--version"], {
      reject: false,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^drbot \d+\.\d+\.\d+$/);
  });
});
