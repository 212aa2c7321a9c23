import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { RedisRunStore } from "../../src/adapters/redis/redis-run-store.js";
import { runCli } from "../../src/cli/main.js";
import { parseEnvironment } from "../../src/config/environment.js";
import { createRuntime } from "../../src/runtime/create-runtime.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";
import { keyDirectory, makeKeyPair } from "../support/ssh-keys.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The CLI driving a run in the foreground (`drbot approve` by the last approver), stopped at the
 * terminal: Ctrl-C is SIGINT to the terminal's whole foreground process group, sent here to the
 * group of a real `drbot` process on a real Redis. The first lets the step in flight finish, starts
 * none and hands the run over; a second stops the step. The steps are programs that write a ledger
 * file outside Redis and release when the test says so. Signatures are made by the real ssh-keygen.
 */
const EFFECT = `
import { appendFileSync, existsSync } from "node:fs";
const [ledger, step, release] = process.argv.slice(2);
const line = (event) => appendFileSync(ledger, JSON.stringify({ step, event }) + "\\n");
line("start");
const until = Date.now() + 120_000;
while (release && !existsSync(release) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
line("end");
`;

let redis: RedisServer;
let store: RedisRunStore;
let dir: string;
let keys: { cleanup(): Promise<void> };
let env: Record<string, string>;
const keyPath: Record<string, string> = {};
const children: ResultPromise[] = [];

const ledgerFile = (run: string) => join(dir, `${run}.jsonl`);

async function ledger(file: string): Promise<string[]> {
  if (!existsSync(file)) return [];
  return (await readFile(file, "utf8"))
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => {
      const { step, event } = JSON.parse(l) as { step: string; event: string };
      return `${step} ${event}`;
    });
}

/** A drill whose first step holds until `release` exists, then one more step; each writes `file`. */
async function writeRunbook(name: string, file: string, release: string): Promise<void> {
  const step = (id: string, hold?: string) => ({
    id,
    title: id,
    kind: "shell",
    with: { command: process.execPath, args: [join(dir, "effect.mjs"), file, id, ...(hold ? [hold] : [])] },
    onFailure: "pause",
  });
  await writeFile(
    join(dir, "runbooks", `${name}.yaml`),
    stringify({
      name,
      title: name,
      kind: "drill",
      phases: [{ name: "main", steps: [step("hold", release), step("after")] }],
    }),
  );
}

async function request(runbook: string): Promise<{ runId: string; hash: string }> {
  let out = "";
  let err = "";
  const code = await runCli(
    [
      "run",
      runbook,
      "payments",
      "--yes",
      "--reason",
      "drill",
      "--as",
      "U0ONCALL",
      "--key",
      keyPath.U0ONCALL!,
      "--json",
    ],
    { out: (t) => (out += t), err: (t) => (err += t), env: { ...process.env, ...env } },
  );
  expect(code, err).toBe(0);
  const runId = (JSON.parse(out) as { id: string }).id;
  return { runId, hash: (await store.getRun(runId))!.plan.hash };
}

/** `drbot approve` in a process group of its own, as a shell runs a foreground command. */
function approveInForeground(runId: string, hash: string) {
  const child = execa(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/main.ts",
      "approve",
      runId,
      "--plan",
      hash,
      "--as",
      "U0A1",
      "--key",
      keyPath.U0A1!,
    ],
    { env: { ...process.env, ...env }, reject: false, all: true, detached: true, cleanup: true },
  );
  children.push(child);
  let said = "";
  child.all?.on("data", (chunk: Buffer) => {
    said += chunk.toString();
  });
  let exit: { exitCode?: number } | undefined;
  void child.then((r) => {
    exit = r.exitCode === undefined ? {} : { exitCode: r.exitCode };
  });
  return {
    said: () => said,
    exit: () => exit,
    /** Ctrl-C at the terminal: SIGINT to every process of the foreground group. */
    ctrlC: () => process.kill(-child.pid!, "SIGINT"),
  };
}

async function nextExecutor<T>(
  use: (rt: Awaited<ReturnType<typeof createRuntime>>) => Promise<T>,
): Promise<T> {
  const rt = await createRuntime({
    configPath: join(dir, "drbot.yaml"),
    runbooksDir: join(dir, "runbooks"),
    env: parseEnvironment({ ...process.env, ...env }),
    autoStart: false,
  });
  try {
    return await use(rt);
  } finally {
    await rt.close();
  }
}

beforeAll(async () => {
  redis = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), "drbot-cli-drain-"));
  const k = await keyDirectory();
  keys = k;
  for (const person of ["U0ONCALL", "U0A1"]) keyPath[person] = (await makeKeyPair(k.dir, person)).privatePath;
  const publicLine = async (person: string) => (await readFile(`${keyPath[person]}.pub`, "utf8")).trim();
  await writeFile(join(dir, "effect.mjs"), EFFECT);
  await mkdir(join(dir, "runbooks"));
  await writeRunbook("drill-finish", ledgerFile("finish"), join(dir, "release-finish"));
  await writeRunbook("drill-force", ledgerFile("force"), join(dir, "release-force"));
  const kubeconfig = { path: join(dir, "no-such.kubeconfig") };
  await writeFile(
    join(dir, "drbot.yaml"),
    stringify({
      sites: [
        { name: "dc1", role: "primary", kubeconfig: { ...kubeconfig, context: "dc1" } },
        { name: "dc2", role: "dr", kubeconfig: { ...kubeconfig, context: "dc2" } },
      ],
      tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
      applications: [{ name: "payments", tier: "tier1", namespaces: ["production"] }],
      slack: {
        incidentChannels: ["C0INCIDENT"],
        permissions: { drill: { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1"] } } },
      },
      approvals: {
        required: { drill: 1 },
        keys: { U0ONCALL: [await publicLine("U0ONCALL")], U0A1: [await publicLine("U0A1")] },
      },
      engine: { leaseTtl: "2s", drainGrace: "30s" },
      watch: { enabled: false },
    }),
  );
  env = {
    DRBOT_CONFIG: join(dir, "drbot.yaml"),
    DRBOT_RUNBOOKS: join(dir, "runbooks"),
    REDIS_URL: redis.url,
  };
  store = await openTestRedisStore(redis.url, "drbot:");
}, 90_000);

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await Promise.allSettled(children);
  await store?.close();
  await redis?.stop();
  await keys?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the CLI driving a run, stopped with Ctrl-C", () => {
  it("lets the step in flight finish, starts none, hands the run over and says so; the next executor completes it without pausing", async () => {
    const { runId, hash } = await request("drill-finish");
    const cli = approveInForeground(runId, hash);
    await waitFor(async () => (await ledger(ledgerFile("finish"))).includes("hold start"), {
      timeoutMs: 60_000,
      description: `the first step to start; drbot said:\n${cli.said()}`,
    });
    cli.ctrlC();
    await waitFor(() => cli.said().includes("SIGINT: letting the step in flight finish"), {
      timeoutMs: 10_000,
      description: `drbot to say it drains; it said:\n${cli.said()}`,
    });
    // Still running: the step's program got no Ctrl-C of its own, and drbot holds the run.
    expect(cli.exit()).toBeUndefined();
    expect(await store.leaseHolder(runId)).toBeDefined();
    await writeFile(join(dir, "release-finish"), "");
    await waitFor(() => cli.exit() !== undefined, {
      timeoutMs: 30_000,
      description: `drbot to exit once the step finished; it said:\n${cli.said()}`,
    });
    expect(cli.exit()).toEqual({ exitCode: 5 });
    expect(cli.said()).toContain(`${runId} handed over as it stands, no step in flight`);
    expect(await ledger(ledgerFile("finish"))).toEqual(["hold start", "hold end"]);
    expect(await store.leaseHolder(runId)).toBeUndefined();
    const steps = await store.getSteps(runId);
    expect([steps.get("hold")?.status, steps.get("after")?.status]).toEqual(["succeeded", "not_started"]);

    const outcome = await nextExecutor((rt) => rt.engine.drive(runId));
    expect(outcome).toEqual({ driven: true, state: "completed" });
    expect(await ledger(ledgerFile("finish"))).toEqual([
      "hold start",
      "hold end",
      "after start",
      "after end",
    ]);
    const states = (await store.readEvents(runId))
      .filter((e) => e.type === "run.state")
      .map((e) => String(e.data.state));
    expect(states.filter((s) => s.startsWith("paused") || s === "interrupted")).toEqual([]);
  });

  it("stops the step at a second Ctrl-C, and the next executor finds it unobservable and pauses for a person instead of running it again", async () => {
    const { runId, hash } = await request("drill-force");
    const cli = approveInForeground(runId, hash);
    await waitFor(async () => (await ledger(ledgerFile("force"))).includes("hold start"), {
      timeoutMs: 60_000,
      description: `the first step to start; drbot said:\n${cli.said()}`,
    });
    cli.ctrlC();
    await waitFor(() => cli.said().includes("SIGINT: letting the step in flight finish"), {
      timeoutMs: 10_000,
      description: `drbot to say it drains; it said:\n${cli.said()}`,
    });
    cli.ctrlC();
    await waitFor(() => cli.exit() !== undefined, {
      timeoutMs: 30_000,
      description: `drbot to exit after the second Ctrl-C; it said:\n${cli.said()}`,
    });
    expect(cli.said()).toContain("SIGINT again: stopping the step in flight now");
    expect(cli.said()).toContain(`${runId} stopped and handed over`);
    expect(cli.exit()).toEqual({ exitCode: 5 });
    expect(await ledger(ledgerFile("force"))).toEqual(["hold start"]);
    expect((await store.getSteps(runId)).get("hold")?.status).toBe("running");

    const outcome = await nextExecutor((rt) => rt.engine.drive(runId));
    expect(outcome).toMatchObject({ driven: true, state: expect.stringMatching(/^paused/) });
    expect((await store.getRun(runId))!.stateReason).toContain("hold");
    expect(await ledger(ledgerFile("force"))).toEqual(["hold start"]);
  });
});
