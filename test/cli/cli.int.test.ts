import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { execa } from "execa";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { RedisRunStore } from "../../src/adapters/redis/redis-run-store.js";
import { RedisSiteState } from "../../src/adapters/redis/redis-site-state.js";
import { runCli } from "../../src/cli/main.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { type KeyPair, keyDirectory, makeKeyPair } from "../support/ssh-keys.js";

/**
 * The CLI drives whole runs on the shipped example configuration, against a real Redis: validate,
 * plan, run, two approvals (the requester's own refused), status, show; reject, abort and resume,
 * each with its refusals and documented exit codes; --config against DRBOT_CONFIG. The runbook uses
 * shell and http steps only (the health endpoint is a local server the test can make answer 503),
 * so it needs no cluster. Each test requests its own application, so their scopes never collide.
 * Every person has a key pair of their own made by ssh-keygen, registered in the configuration's
 * approvals.keys, and signs what they do with it (`--key`): `--as` alone only names a person.
 */
const PEOPLE = ["U0ONCALL1", "U0ONCALL2", "U0APPROVER1", "U0APPROVER2", "U0STRANGER"] as const;
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
        retryDelay: 100ms
`;

describe("drbot CLI", () => {
  let redis: RedisServer;
  let http: Server;
  let port = 0;
  let runbooks = "";
  let env: NodeJS.ProcessEnv;
  const keys = new Map<string, KeyPair>();
  let removeKeys: () => Promise<void> = async () => {};
  /** Whether the application's health endpoint answers 200 "ok" (or 503, to pause a run on it). */
  let healthy = true;

  beforeAll(async () => {
    redis = await startRedisServer();
    http = createServer((req, res) => {
      if (req.url !== "/healthz") return void res.writeHead(404).end();
      if (healthy) res.writeHead(200).end("ok");
      else res.writeHead(503).end("down");
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    port = (http.address() as { port: number }).port;
    runbooks = await mkdtemp(join(tmpdir(), "drbot-cli-runbooks-"));
    await writeFile(join(runbooks, "failover.yaml"), RUNBOOK(port));
    const { dir, cleanup } = await keyDirectory();
    removeKeys = cleanup;
    for (const person of PEOPLE) keys.set(person, await makeKeyPair(dir, person));
    // The shipped example with each person's public key registered.
    const config = parse(await readFile("drbot.example.yaml", "utf8"));
    config.approvals.keys = Object.fromEntries(PEOPLE.map((p) => [p, [keys.get(p)!.publicLine]]));
    const configPath = join(dir, "drbot.yaml");
    await writeFile(configPath, stringify(config));
    env = {
      ...process.env,
      DRBOT_CONFIG: configPath,
      DRBOT_RUNBOOKS: runbooks,
      REDIS_URL: redis.url,
    };
  });
  afterAll(async () => {
    await new Promise((resolve) => http?.close(resolve));
    await redis?.stop();
    await removeKeys();
  });

  /** `--as USER --key KEY`: the person, and their own key, which signs what they do. */
  const signedBy = (user: string) => ["--as", user, "--key", keys.get(user)!.privatePath];

  // biome-ignore lint/suspicious/noExplicitAny: the CLI's --json output is asserted field by field
  type CliResult = { code: number; out: string; err: string; json: () => any };

  /** Runs drbot; whoever `--as` names signs with their own key unless the command gives `--key` itself. */
  function cli(...argv: string[]): Promise<CliResult> {
    const as = argv[argv.indexOf("--as") + 1];
    const key = argv.includes("--as") && !argv.includes("--key") && as ? keys.get(as) : undefined;
    return cliWithEnv({}, ...argv, ...(key ? ["--key", key.privatePath] : []));
  }

  async function cliWithEnv(overrides: NodeJS.ProcessEnv, ...argv: string[]): Promise<CliResult> {
    let out = "";
    let err = "";
    const code = await runCli(argv, {
      out: (t) => (out += `${t}\n`),
      err: (t) => (err += `${t}\n`),
      env: { ...env, ...overrides },
    });
    return { code, out, err, json: () => JSON.parse(out) };
  }

  /** Requests a failover of `app` as the on-call engineer; returns its id and plan hash. */
  async function requestFailover(app: string): Promise<{ runId: string; hash: string }> {
    const requested = await cli(
      "run",
      "failover",
      app,
      "--yes",
      "--reason",
      "DC1 unreachable",
      "--as",
      "U0ONCALL1",
      "--json",
    );
    expect(requested.code, requested.err).toBe(0);
    expect(requested.json()).toMatchObject({ state: "pending_approval" });
    return { runId: requested.json().id as string, hash: requested.json().plan.hash as string };
  }

  const approve = (runId: string, hash: string, as: string, ...more: string[]) =>
    cli("approve", runId, "--plan", hash, "--as", as, "--accept-data-loss", "--json", ...more);

  it("drives a failover from request to completion, each person signing with their own ssh-keygen key", async () => {
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
      "--yes",
      "--reason",
      "DC1 unreachable",
      ...signedBy("U0ONCALL1"),
      "--json",
    );
    expect(requested.code, requested.err).toBe(0);
    const runId = requested.json().id as string;
    // The request is proven by the requester's signature, kept on the run.
    expect(requested.json().requestProof).toMatchObject({ via: "ssh" });
    expect(requested.json().requestProof.message).toContain(`run: ${runId}\n`);
    expect(requested.json()).toMatchObject({
      state: "pending_approval",
      requiredApprovals: 2,
      plan: { hash },
    });

    const self = await cli("approve", runId, "--plan", hash, ...signedBy("U0ONCALL1"), "--accept-data-loss");
    expect(self.code).toBe(1);
    expect(self.err).toContain("You cannot approve your own request");

    // The configured sources cannot be read here (no database, no Velero): the data at risk is
    // unknown, the worst case, so approvers must accept the loss explicitly.
    expect(requested.json().rpoRisk).toMatchObject({ tier: "tier1" });
    const unaccepted = await cli("approve", runId, "--plan", hash, ...signedBy("U0APPROVER1"));
    expect(unaccepted.code).toBe(1);
    expect(unaccepted.err).toContain("accept it explicitly");
    expect(unaccepted.err).toContain("--accept-data-loss");

    const first = await cli(
      "approve",
      runId,
      "--plan",
      hash,
      ...signedBy("U0APPROVER1"),
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
      ...signedBy("U0APPROVER2"),
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
    // Each approval keeps its signature: the approver's key signed this run's id and plan hash.
    expect(shown.run.approvals.map((a: { proof: { via: string; message: string } }) => a.proof.via)).toEqual([
      "ssh",
      "ssh",
    ]);
    expect(shown.run.approvals[0].proof.message).toContain(`plan: ${hash}\n`);
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

  it("rejects a pending request, and refuses a second rejection (exit 1)", async () => {
    const { runId, hash } = await requestFailover("batch-jobs");

    const notApprover = await cli("reject", runId, "--as", "U0ONCALL2");
    expect(notApprover.code).toBe(1);
    expect(notApprover.err).toContain("You are not an approver for this kind of run");

    const rejected = await cli("reject", runId, "--as", "U0APPROVER1", "--note", "primary is back", "--json");
    expect(rejected.code, rejected.err).toBe(0);
    expect(rejected.json()).toMatchObject({
      id: runId,
      state: "rejected",
      stateReason: "rejected by U0APPROVER1: primary is back",
      decisions: [{ userId: "U0APPROVER1", decision: "rejected", note: "primary is back" }],
    });

    const again = await cli("reject", runId, "--as", "U0APPROVER2");
    expect(again.code).toBe(1);
    expect(again.err).toContain("This request was already decided");
    const late = await approve(runId, hash, "U0APPROVER2");
    expect(late.code).toBe(1);
    expect((await cli("show", runId, "--json")).json().run.state).toBe("rejected");
    // The scope is free again.
    const next = await requestFailover("batch-jobs");
    expect(next.runId).not.toBe(runId);
    expect((await cli("reject", next.runId, "--as", "U0ONCALL1")).code).toBe(0);
  });

  it("aborts an approved run nobody executes: the CLI stops it itself before any step (exit 5)", async () => {
    const { runId, hash } = await requestFailover("analytics");
    expect((await approve(runId, hash, "U0APPROVER1")).code).toBe(0);
    const approved = await approve(runId, hash, "U0APPROVER2", "--detach");
    expect(approved.code, approved.err).toBe(0);
    expect(approved.json()).toMatchObject({ state: "approved" });

    const stranger = await cli("abort", runId, "--as", "U0STRANGER");
    expect(stranger.code).toBe(1);
    expect(stranger.err).toContain("You are not allowed to do that");

    const aborted = await cli("abort", runId, "--as", "U0APPROVER1", "--note", "wrong scope", "--json");
    expect(aborted.code, aborted.err).toBe(5);
    const { run, steps } = aborted.json();
    expect(run).toMatchObject({
      id: runId,
      state: "aborted",
      stateReason: "aborted by U0APPROVER1: wrong scope",
    });
    expect(run.decisions.at(-1)).toMatchObject({ userId: "U0APPROVER1", decision: "aborted" });
    expect(steps["echo-scope"]).toMatchObject({ status: "not_started", attempts: 0 });
    expect(steps.health).toMatchObject({ status: "not_started", attempts: 0 });

    const again = await cli("abort", runId, "--as", "U0APPROVER1");
    expect(again.code).toBe(1);
    expect(again.err).toContain("already ended (aborted)");
  });

  it("resumes a run paused on a failed step once an approver says so, and it completes", async () => {
    healthy = false;
    const { runId, hash } = await requestFailover("core-api");
    expect((await approve(runId, hash, "U0APPROVER1")).code).toBe(0);
    const paused = await approve(runId, hash, "U0APPROVER2");
    expect(paused.code, paused.err).toBe(5);
    expect(paused.json().run).toMatchObject({ state: "paused_failed_step" });
    expect(paused.json().steps.health).toMatchObject({ status: "failed", attempts: 2 });
    expect(paused.json().steps.health.error).toContain("answered 503");

    // A real failover changes production: the requester may not resume it, an approver may.
    const requester = await cli("resume", runId, "--as", "U0ONCALL1");
    expect(requester.code).toBe(1);
    expect(requester.err).toContain("someone else (an approver of failover runs) must resume it");

    healthy = true;
    const resumed = await cli("resume", runId, "--as", "U0APPROVER1", "--json");
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.json().run).toMatchObject({ id: runId, state: "completed" });
    expect(resumed.json().run.decisions.at(-1)).toMatchObject({ userId: "U0APPROVER1", decision: "resumed" });
    expect(resumed.json().steps["echo-scope"]).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(resumed.json().steps.health).toMatchObject({ status: "succeeded", attempts: 3 });

    const notPaused = await cli("resume", runId, "--as", "U0APPROVER1");
    expect(notPaused.code).toBe(1);
    expect(notPaused.err).toContain("only a paused run can be resumed");
  });

  it("refuses a --as identity that may not act, with exit 1, and asks for one when it is missing (exit 2)", async () => {
    const stranger = await cli(
      "run",
      "failover",
      "batch-jobs",
      "--yes",
      "--reason",
      "x",
      "--as",
      "U0STRANGER",
    );
    expect(stranger.code).toBe(1);
    expect(stranger.err).toContain("You are not allowed to do that: you may not request failover runs");
    const anonymous = await cli("run", "failover", "batch-jobs", "--reason", "x");
    expect(anonymous.code).toBe(2);
    expect(anonymous.err).toContain("--as USER");
    // Neither refusal created a run: batch-jobs is still free to request.
    const { runId } = await requestFailover("batch-jobs");
    expect((await cli("reject", runId, "--as", "U0ONCALL1")).code).toBe(0);
  });

  /**
   * Runs drbot on a terminal (PassThrough streams said to be one) where the person types `typed`
   * and Enter, or ends the input (Ctrl-D) when it is undefined; `shown` is what the terminal showed.
   */
  async function cliOnTerminal(typed: string | undefined, ...argv: string[]) {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = "";
    output.on("data", (chunk: Buffer) => {
      shown += chunk.toString("utf8");
    });
    if (typed === undefined) input.end();
    else input.write(`${typed}\n`);
    let out = "";
    let err = "";
    const key = keys.get("U0ONCALL1")!.privatePath;
    const code = await runCli([...argv, "--as", "U0ONCALL1", "--key", key], {
      out: (t) => (out += `${t}\n`),
      err: (t) => (err += `${t}\n`),
      env,
      terminal: { input, output, isTTY: true },
    });
    return { code, out, err, shown, json: () => JSON.parse(out) };
  }

  /** The audit trail's refusals with this code (not_confirmed: of confirmations). */
  async function refusalAudits(code = "not_confirmed"): Promise<Array<{ data: Record<string, unknown> }>> {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      const audit = await new RedisRunStore(client, "drbot:").readAudit({ limit: 1000 });
      return audit.filter(
        (e) => e.type === "run.refusal" && (e.data as { code?: string }).code === code,
      ) as Array<{ data: Record<string, unknown> }>;
    } finally {
      client.disconnect();
    }
  }

  describe("a real failover is confirmed on the terminal by typing its scope's name", () => {
    const request = ["run", "failover", "batch-jobs", "--reason", "DC1 down", "--json"];

    it("shows the plan, the data at risk and the readiness, and requests the run when the name is typed exactly", async () => {
      const result = await cliOnTerminal("  batch-jobs ", ...request);
      expect(result.code, result.err).toBe(0);
      expect(result.shown).toContain(
        "Real failover of batch-jobs (dc1 → dc2). This changes production: traffic moves once it is approved.",
      );
      expect(result.shown).toContain("Reason: DC1 down");
      expect(result.shown).toMatch(/Plan [0-9a-f]{12}, 2 steps/);
      expect(result.shown).toContain("  1. Echo the scope, literally");
      expect(result.shown).toContain("Data at risk: ");
      expect(result.shown).toContain("Readiness: ");
      expect(result.shown).toContain("Type batch-jobs to confirm");
      expect(result.json()).toMatchObject({ state: "pending_approval" });
      expect((await cli("reject", result.json().id, "--as", "U0ONCALL1")).code).toBe(0);
    });

    it("refuses another name (exit 1): nothing is requested and the refusal is audited with what was typed", async () => {
      const result = await cliOnTerminal("batch-job", ...request);
      expect(result.code).toBe(1);
      expect(result.json()).toMatchObject({
        ok: false,
        code: "not_confirmed",
        message: 'the name typed to confirm the failover was not "batch-jobs". Nothing was requested.',
      });
      expect(await refusalAudits()).toContainEqual(
        expect.objectContaining({
          actor: "U0ONCALL1",
          data: expect.objectContaining({ command: "failover", source: "cli", typed: "batch-job" }),
        }),
      );
      // Nothing was requested: the scope is free.
      const { runId } = await requestFailover("batch-jobs");
      expect((await cli("reject", runId, "--as", "U0ONCALL1")).code).toBe(0);
    });

    it("refuses when the input ends before a name is typed (Ctrl-D), and requests nothing", async () => {
      const result = await cliOnTerminal(undefined, ...request);
      expect(result.code).toBe(1);
      expect(result.json()).toMatchObject({
        code: "not_confirmed",
        message: "the failover was not confirmed (end of input). Nothing was requested.",
      });
      expect(await refusalAudits()).toContainEqual(
        expect.objectContaining({ data: expect.objectContaining({ unanswered: "end of input" }) }),
      );
      const { runId } = await requestFailover("batch-jobs");
      expect((await cli("reject", runId, "--as", "U0ONCALL1")).code).toBe(0);
    });

    it("refuses without a terminal unless --yes is given (exit 2), saying so; with --yes it requests", async () => {
      const refused = await cli("run", "failover", "batch-jobs", "--reason", "DC1 down", "--as", "U0ONCALL1");
      expect(refused.code).toBe(2);
      expect(refused.err).toContain(
        "add --yes to request it without the question (scripts). Nothing was requested.",
      );
      expect(refused.out).toBe("");
      expect(await refusalAudits("invalid_input")).toContainEqual(
        expect.objectContaining({
          actor: "U0ONCALL1",
          data: expect.objectContaining({ command: "failover", source: "cli" }),
        }),
      );
      const { runId } = await requestFailover("batch-jobs"); // passes --yes
      expect((await cli("reject", runId, "--as", "U0ONCALL1")).code).toBe(0);
    });

    it("asks nothing for a drill of the failover runbook", async () => {
      const drill = await cli(
        "run",
        "failover",
        "batch-jobs",
        "--mode",
        "drill",
        "--reason",
        "practice",
        "--as",
        "U0ONCALL1",
        "--detach",
        "--json",
      );
      expect(drill.code, drill.err).toBe(0);
      expect(drill.json()).toMatchObject({ mode: "drill" });
      await cli("reject", drill.json().id, "--as", "U0ONCALL1");
    });
  });

  it("reads the file --config names rather than DRBOT_CONFIG's", async () => {
    const missing = join(runbooks, "no-such-config.yaml");
    const fromEnv = await cliWithEnv({ DRBOT_CONFIG: missing }, "validate");
    expect(fromEnv.code).toBe(3);
    expect(fromEnv.err).toContain(`${missing}: cannot read the configuration file (ENOENT)`);
    const overridden = await cliWithEnv(
      { DRBOT_CONFIG: missing },
      "--config",
      "drbot.example.yaml",
      "validate",
    );
    expect(overridden.code, overridden.err).toBe(0);
    expect(overridden.out).toContain("configuration OK");
    const overriddenBadly = await cli("--config", missing, "validate");
    expect(overriddenBadly.code).toBe(3);
    expect(overriddenBadly.err).toContain(missing);

    // The same through the program itself, its variable set in a real environment.
    const program = await execa(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "--config", "drbot.example.yaml", "validate", "--json"],
      { env: { ...env, DRBOT_CONFIG: missing }, reject: false, timeout: 60_000 },
    );
    expect(program.exitCode, program.stderr).toBe(0);
    expect(JSON.parse(program.stdout)).toMatchObject({ ok: true, applications: 6 });
    const noFlag = await execa(process.execPath, ["--import", "tsx", "src/cli/main.ts", "validate"], {
      env: { ...env, DRBOT_CONFIG: missing },
      reject: false,
      timeout: 60_000,
    });
    expect(noFlag.exitCode).toBe(3);
    expect(noFlag.stderr).toContain(missing);
  });

  it("refuses scope text with shell metacharacters before anything is planned", async () => {
    for (const evil of ["payments; rm -rf /", "$(id)", "`id`", "payments\nrm -rf /"]) {
      const result = await cli("run", "failover", evil, "--reason", "x", "--as", "U0ONCALL1");
      expect(result.code).toBe(2);
      expect(result.err).toContain("is not a tier or application name");
    }
  });

  it("asks which applications or tier a failover is for, and nothing is requested (exit 2)", async () => {
    const before = (await cli("runs", "--json")).json().length;
    const none = await cli("run", "failover", "--reason", "DC1 down", "--as", "U0ONCALL1");
    expect(none.code).toBe(2);
    expect(none.err).toContain(
      'which applications or tier? drbot run failover payments --reason "…" --as USER (or drbot run failover all --reason "…" --as USER for every application)',
    );
    expect((await cli("runs", "--json")).json()).toHaveLength(before);
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

  it("refuses status of an unknown tier or application with exit 2, naming the valid ones", async () => {
    const result = await cli("status", "paymnts");
    expect(result.code).toBe(2);
    expect(result.err).toContain(
      'Unknown tier or application: "paymnts" is neither a tier nor an application. Tiers: ',
    );
    expect(result.err).toContain("Applications: payments, ");
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      const audit = await new RedisRunStore(client, "drbot:").readAudit({ limit: 1000 });
      expect(audit).toContainEqual(
        expect.objectContaining({
          type: "run.refusal",
          actor: "cli",
          data: expect.objectContaining({ code: "unknown_scope", command: "status" }),
        }),
      );
    } finally {
      client.disconnect();
    }
    expect((await cli("status", "payments")).code).toBe(0);
  });

  it("says which site serves each application, in status --json and in text, from the site state in Redis", async () => {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      // What a completed failover of the portal and reporting left: their move, by its run.
      const moves = ["customer-portal", "reporting"].map((application) => ({
        application,
        from: "dc1",
        to: "dc2",
        at: Date.parse("2026-12-03T03:12:00Z"),
        runId: "failover-1203-0312-abc123",
        by: "U0ONCALL1",
        kind: "failover" as const,
      }));
      const siteState = new RedisSiteState(client, "drbot:");
      expect(await siteState.record(moves, { "customer-portal": null, reporting: null })).toEqual({
        ok: true,
      });
      const status = await cli("status", "--json");
      expect(status.code, status.err).toBe(0);
      const serving = status.json().serving;
      expect(serving.read).toBe(true);
      expect(serving.applications).toContainEqual({
        application: "reporting",
        site: "dc2",
        home: "dc1",
        move: moves[1],
      });
      expect(serving.applications).toContainEqual({ application: "payments", site: "dc1", home: "dc1" });
      const text = await cli("status");
      expect(text.out).toContain(
        "  customer-portal, reporting: dc2 since 2026-12-03T03:12:00.000Z (failover-1203-0312-abc123, by U0ONCALL1)",
      );
      expect(text.out).toContain("  payments, core-api, analytics, batch-jobs: dc1 (home)");
      // The next failover of them is refused, in the CLI's words and exit code.
      const again = await cli(
        "run",
        "failover",
        "customer-portal",
        "reporting",
        "--yes",
        "--reason",
        "x",
        "--as",
        "U0ONCALL1",
      );
      expect(again.code).toBe(1);
      expect(again.err).toContain("Already served from that site");
      expect(again.err).toContain("To bring them home: /dr failback customer-portal reporting");
    } finally {
      client.disconnect();
    }
  });

  it("runs as a program: drbot --version", async () => {
    const result = await execa(process.execPath, ["--import", "tsx", "src/cli/main.ts", "--version"], {
      reject: false,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^drbot \d+\.\d+\.\d+$/);
  });
});
