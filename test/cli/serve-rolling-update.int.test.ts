import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { RedisRunStore } from "../../src/adapters/redis/redis-run-store.js";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";
import { typeDrCommand } from "../support/confirm-run.js";
import { freePort, type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";
import { type ServeProcess, startServeProcess } from "../support/serve-process.js";
import { waitFor } from "../support/wait-for.js";

/**
 * A rolling update of `drbot serve` in the middle of a failover, as Kubernetes does it with the
 * shipped Deployment (maxSurge 1, maxUnavailable 0): the new pod starts and is ready, then the old
 * one gets SIGTERM. Two real processes on one real Redis; Slack is the emulator, whose signed
 * request and clicks are the run's proofs. The runbook's steps are programs that write to a ledger
 * file outside Redis (which process ran them, when they started and ended), and cannot be observed
 * or repeated: a step handed over while in flight would pause the run for a person.
 *
 * What it cannot show: Kubernetes itself (the Service dropping the old pod from its endpoints is
 * played by pointing the emulator at the new process once the old one answers 503).
 */
const INCIDENT = "C0INCIDENT";
const DRAIN_GRACE_MS = 30_000;

/** The steps' program: appends start and end lines to the ledger; `hold` waits for a release file. */
const EFFECT = `
import { appendFileSync, existsSync } from "node:fs";
const [ledger, step, release] = process.argv.slice(2);
const line = (event) =>
  appendFileSync(ledger, JSON.stringify({ step, event, executor: process.ppid }) + "\\n");
line("start");
const until = Date.now() + 120_000;
while (release && !existsSync(release) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
line("end");
`;

interface LedgerLine {
  step: string;
  event: "start" | "end";
  executor: number;
}

let redis: RedisServer;
let emulator: SlackEmulator;
let store: RedisRunStore;
let dir: string;
let env: Record<string, string>;
const processes: ServeProcess[] = [];

const ledgerFile = () => join(dir, "ledger.jsonl");
const releaseFile = () => join(dir, "release-hold");

async function ledger(): Promise<LedgerLine[]> {
  if (!existsSync(ledgerFile())) return [];
  const text = await readFile(ledgerFile(), "utf8");
  return text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as LedgerLine);
}

const step = (id: string, release?: string) => ({
  id,
  title: id,
  kind: "shell",
  with: {
    command: process.execPath,
    args: [join(dir, "effect.mjs"), ledgerFile(), id, ...(release ? [release] : [])],
  },
  onFailure: "pause",
});

/**
 * `/dr failover payments` typed in Slack and approved there by two people (the signed request and
 * clicks are the run's proofs); resolves once its first step's program started.
 */
async function requestAndApprove(): Promise<string> {
  const before = new Set((await store.listRuns()).map((r) => r.id));
  const cards = new Set(
    emulator
      .messages(INCIDENT)
      .filter((m) => m.text.includes("Failover requested"))
      .map((m) => m.ts),
  );
  await typeDrCommand(emulator, {
    userId: "U0ONCALL",
    channelId: INCIDENT,
    text: 'failover payments --reason "DC1 storage array lost"',
  });
  const card = await emulator.waitFor(
    () => emulator.messages(INCIDENT).find((m) => m.text.includes("Failover requested") && !cards.has(m.ts)),
    { timeoutMs: 15_000, description: "the request's card" },
  );
  for (const approver of ["U0A1", "U0A2"])
    await emulator.sendBlockAction({
      userId: approver,
      channelId: INCIDENT,
      messageTs: card.ts,
      actionId: "dr:approve",
    });
  await waitFor(async () => (await ledger()).some((l) => l.step === "fence-dc1" && l.event === "start"), {
    timeoutMs: 30_000,
    description: "the first step to start",
  });
  return (await store.listRuns()).find((r) => !before.has(r.id))!.id;
}

async function startServe(port: number): Promise<ServeProcess> {
  const serve = await startServeProcess(env, { port });
  processes.push(serve);
  return serve;
}

beforeAll(async () => {
  redis = await startRedisServer();
  emulator = new SlackEmulator({
    users: [
      { id: "U0ONCALL", name: "oncall" },
      { id: "U0A1", name: "approver-one" },
      { id: "U0A2", name: "approver-two" },
    ],
    channels: [{ id: INCIDENT, name: "incident" }],
    usergroups: [],
  });
  await emulator.start();
  dir = await mkdtemp(join(tmpdir(), "drbot-rolling-update-"));
  await writeFile(join(dir, "effect.mjs"), EFFECT);
  await mkdir(join(dir, "runbooks"));
  await writeFile(
    join(dir, "runbooks", "failover.yaml"),
    stringify({
      name: "failover",
      title: "Failover",
      kind: "failover",
      phases: [
        { name: "fence", steps: [step("fence-dc1", releaseFile())] },
        { name: "activate", rtoPhase: "activation", steps: [step("promote-db"), step("switch-dns")] },
        { name: "validate", rtoPhase: "validation", steps: [step("announce")] },
      ],
    }),
  );
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
        incidentChannels: [INCIDENT],
        permissions: {
          failover: { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1", "U0A2"] } },
        },
      },
      approvals: { required: { failover: 2 } },
      engine: { leaseTtl: "2s", drainGrace: `${DRAIN_GRACE_MS / 1000}s` },
      watch: { enabled: false },
    }),
  );
  env = {
    DRBOT_CONFIG: join(dir, "drbot.yaml"),
    DRBOT_RUNBOOKS: join(dir, "runbooks"),
    REDIS_URL: redis.url,
    SLACK_BOT_TOKEN: emulator.botToken,
    SLACK_SIGNING_SECRET: emulator.signingSecret,
    SLACK_API_URL: emulator.apiUrl,
  };
  store = await openTestRedisStore(redis.url, "drbot:");
}, 90_000);

afterAll(async () => {
  for (const serve of processes) await serve.kill().catch(() => undefined);
  await store?.close();
  await emulator?.stop();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a rolling update of drbot serve in the middle of a failover", () => {
  it("drains the old process (503, the step in flight finishes, none starts, it exits) and the new one completes the run without pausing, each effect once", async () => {
    const oldPort = await freePort();
    emulator.setRequestUrl(`http://127.0.0.1:${oldPort}/slack/events`);
    const old = await startServe(oldPort);
    let oldExit: { exitCode?: number; signal?: string } | undefined;
    void old.exited.then((exit) => {
      oldExit = exit;
    });

    const runId = await requestAndApprove();
    const approved = (await store.getRun(runId))!;
    expect(approved.approvals.map((a) => [a.userId, a.proof?.via])).toEqual([
      ["U0A1", "slack"],
      ["U0A2", "slack"],
    ]);

    // The new pod starts and is ready beside the old one; only then is the old one stopped.
    const newPort = await freePort();
    const next = await startServe(newPort);
    expect(await store.leaseHolder(runId)).toContain(`:${old.pid}:`);
    old.signal("SIGTERM");
    await waitFor(async () => (await old.get("/readyz").catch(() => ({ status: 0 }))).status === 503, {
      timeoutMs: 10_000,
      description: `the draining process to answer 503 on /readyz (exit: ${JSON.stringify(oldExit)}); it said:\n${old.output()}`,
    });
    const draining = await old.get("/readyz");
    expect(draining.body).toMatch(/^not ready\n/);
    expect(draining.body).toContain("supervisor: draining");
    expect((await next.get("/readyz")).status).toBe(200);
    // The Service now sends Slack's traffic to the ready pod only.
    emulator.setRequestUrl(`http://127.0.0.1:${newPort}/slack/events`);

    // The step in flight is still the old process's; it finishes, and the old process exits.
    expect(await store.leaseHolder(runId)).toContain(`:${old.pid}:`);
    expect((await ledger()).filter((l) => l.event === "end")).toEqual([]);
    await writeFile(releaseFile(), "");
    await waitFor(() => oldExit !== undefined, {
      timeoutMs: DRAIN_GRACE_MS,
      description: `the old process to exit within the drain grace; it said:\n${old.output()}`,
    });
    expect(oldExit).toEqual({ exitCode: 0 });
    expect(old.logLines()).toContainEqual(expect.objectContaining({ operation: "serve.drain", runs: 1 }));

    // The new process takes the run over and completes it.
    await waitFor(async () => (await store.getRun(runId))?.state === "completed", {
      timeoutMs: 60_000,
      description: `the run to complete on the new process; it said:\n${next.output()}`,
    });
    const lines = await ledger();
    const ran = (executor: number) =>
      lines.filter((l) => l.executor === executor && l.event === "start").map((l) => l.step);
    expect(ran(old.pid)).toEqual(["fence-dc1"]);
    expect(ran(next.pid)).toEqual(["promote-db", "switch-dns", "announce"]);
    for (const id of ["fence-dc1", "promote-db", "switch-dns", "announce"])
      expect(lines.filter((l) => l.step === id).map((l) => l.event)).toEqual(["start", "end"]);
    // The old process's step ended before anything of the new one started.
    expect(lines.findIndex((l) => l.step === "fence-dc1" && l.event === "end")).toBeLessThan(
      lines.findIndex((l) => l.executor === next.pid),
    );

    // Handed over, not interrupted: nothing re-observed, never paused.
    const events = await store.readEvents(runId);
    const states = events.filter((e) => e.type === "run.state").map((e) => String(e.data.state));
    expect(states.filter((s) => s.startsWith("paused") || s === "interrupted")).toEqual([]);
    expect(events.filter((e) => e.type === "step.observed")).toEqual([]);
    const steps = await store.getSteps(runId);
    expect(Object.fromEntries([...steps.values()].map((s) => [s.id, [s.status, s.attempts]]))).toEqual({
      "fence-dc1": ["succeeded", 1],
      "promote-db": ["succeeded", 1],
      "switch-dns": ["succeeded", 1],
      announce: ["succeeded", 1],
    });
  });

  it("stops the step at a second SIGTERM, and the next process finds it unobservable and pauses for a person instead of running it again", async () => {
    for (const serve of processes.splice(0)) await serve.stop();
    await rm(releaseFile(), { force: true });
    await rm(ledgerFile(), { force: true });
    const port = await freePort();
    emulator.setRequestUrl(`http://127.0.0.1:${port}/slack/events`);
    const leaving = await startServe(port);
    let exit: { exitCode?: number; signal?: string } | undefined;
    void leaving.exited.then((e) => {
      exit = e;
    });
    const runId = await requestAndApprove();
    const next = await startServe(await freePort());
    leaving.signal("SIGTERM");
    await waitFor(async () => (await leaving.get("/readyz").catch(() => ({ status: 0 }))).status === 503, {
      timeoutMs: 10_000,
      description: "the draining process to answer 503 on /readyz",
    });
    leaving.signal("SIGTERM");
    await waitFor(() => exit !== undefined, {
      timeoutMs: DRAIN_GRACE_MS,
      description: `the process to exit after the second SIGTERM; it said:\n${leaving.output()}`,
    });
    expect(exit).toEqual({ exitCode: 0 });
    expect(leaving.logLines()).toContainEqual(
      expect.objectContaining({
        operation: "serve.drain",
        msg: "SIGTERM again: stopping the steps in flight now; the next executor re-observes them",
      }),
    );
    // The step's program was stopped; the next process cannot tell whether it did its work.
    await waitFor(async () => (await store.getRun(runId))?.state.startsWith("paused") === true, {
      timeoutMs: 60_000,
      description: `the next process to pause the run; it said:\n${next.output()}`,
    });
    expect((await store.getRun(runId))!.stateReason).toContain("fence-dc1");
    expect((await ledger()).map((l) => `${l.step} ${l.event}`)).toEqual(["fence-dc1 start"]);
  });
});
