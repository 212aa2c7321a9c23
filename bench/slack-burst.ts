import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { RedisRunStore } from "../src/adapters/redis/redis-run-store.js";
import { type InteractionResult, SlackEmulator } from "../src/emulator/slack-emulator.js";
import type { TestClusters } from "../test/support/k8s-testenv.js";
import { freePort, startRedisServer } from "../test/support/redis-server.js";
import { openTestRedisStore } from "../test/support/redis-store-fixture.js";
import { type ServeProcess, startServeProcess } from "../test/support/serve-process.js";
import { waitFor } from "../test/support/wait-for.js";
import { type Figure, percentile } from "./bench-kit.js";

/**
 * A whole incident channel at once, against `drbot serve` as production runs it: its own process,
 * real Redis, the real Bolt app in HTTP mode (signatures checked, every request remembered by the
 * replay guard in Redis before its ack), DC1 and DC2 the local test clusters; the emulator plays Slack
 * from this process. 200 interactions are sent together: 180 people typing `/dr status` in the
 * incident channel and 20 approvers clicking Approve on the same failover card among them
 * (interleaved, one click after every nine commands). Every one must be acked within Slack's 3 s, the
 * p99 ack under 150 ms, and every approval recorded on the run in Redis (none lost to a
 * compare-and-set race), with the run started once. The failover needs all 20 approvals here, so an
 * approval lost in the crowd would leave the run waiting (with the usual two, later clicks are
 * refused as the run has already started, and nothing would tell a lost one from a refused one).
 *
 * An ack is timed from the moment the emulator starts sending the request to the response's
 * arrival, so it includes this process's own work sending 200 requests at once on the same cores.
 * Wall time on a shared machine depends on what else runs; the CPU time drbot's process spent from
 * the first request to the last ack (and this process's, sending them) and the load average are
 * reported beside it.
 */
export const BURST = 200;
const APPROVERS = 20;
const ONCALL = "U0ONCALL";
const INCIDENT = "C0INCIDENT";
const statusUsers = Array.from(
  { length: BURST - APPROVERS },
  (_, i) => `U0BURST${String(i).padStart(3, "0")}`,
);
const approvers = Array.from({ length: APPROVERS }, (_, i) => `U0APPR${String(i).padStart(2, "0")}`);
const warmUsers = Array.from({ length: 5 }, (_, i) => `U0BWARM${i}`);

/** A 30-step failover that needs every one of the burst's approvers. */
const RUNBOOK = stringify({
  name: "failover",
  title: "Failover",
  kind: "failover",
  approvals: { required: APPROVERS },
  phases: [
    {
      name: "fast",
      steps: Array.from({ length: 30 }, (_, i) => ({
        id: `s${i}`,
        title: `Step ${i}`,
        kind: "wait",
        with: { duration: "10ms" },
      })),
    },
  ],
});

interface Burst {
  figures: Figure[];
  notes: string[];
}

export async function burst(clusters: TestClusters): Promise<Burst> {
  const redis = await startRedisServer();
  const emulator = new SlackEmulator({
    users: [ONCALL, ...statusUsers, ...approvers, ...warmUsers].map((id) => ({ id, name: id.toLowerCase() })),
    channels: [{ id: INCIDENT, name: "incident" }],
    usergroups: [],
  });
  const dir = await mkdtemp(join(tmpdir(), "drbot-bench-burst-"));
  let serve: ServeProcess | undefined;
  let store: RedisRunStore | undefined;
  try {
    await emulator.start();
    const port = await freePort();
    emulator.setRequestUrl(`http://127.0.0.1:${port}/slack/events`);
    await mkdir(join(dir, "runbooks"));
    await writeFile(join(dir, "runbooks", "failover.yaml"), RUNBOOK);
    await writeFile(
      join(dir, "drbot.yaml"),
      stringify(
        clusters.rawConfig({
          slack: {
            incidentChannels: [INCIDENT],
            permissions: {
              failover: { requesters: { users: [ONCALL] }, approvers: { users: approvers } },
            },
          },
          watch: { enabled: false },
        }),
      ),
    );
    serve = await startServeProcess(
      {
        DRBOT_CONFIG: join(dir, "drbot.yaml"),
        DRBOT_RUNBOOKS: join(dir, "runbooks"),
        REDIS_URL: redis.url,
        SLACK_BOT_TOKEN: emulator.botToken,
        SLACK_SIGNING_SECRET: emulator.signingSecret,
        SLACK_API_URL: emulator.apiUrl,
        LOG_LEVEL: "warn",
      },
      { port },
    );
    store = await openTestRedisStore(redis.url, "drbot:");
    return await measure(emulator, store, serve.pid);
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}; drbot serve said:\n${serve?.output() ?? ""}`,
    );
  } finally {
    await serve?.stop();
    await store?.close();
    await emulator.stop();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function measure(emulator: SlackEmulator, store: RedisRunStore, pid: number): Promise<Burst> {
  const status = (u: string) => emulator.sendSlashCommand({ userId: u, channelId: INCIDENT, text: "status" });
  // The status view's heading, not the help line that names what status shows.
  const answer = (u: string) => emulator.ephemerals(u).find((e) => e.text.includes("*RPO per tier*"));
  // Warm-up, as a long-running bot is warm: help, status and a refused click.
  await Promise.all(
    warmUsers.map((u) => emulator.sendSlashCommand({ userId: u, channelId: INCIDENT, text: "help" })),
  );
  await Promise.all(warmUsers.map(status));
  await waitFor(() => warmUsers.every(answer), {
    timeoutMs: 60_000,
    intervalMs: 20,
    description: "the warm-up status answers",
  });
  await emulator.sendSlashCommand({
    userId: ONCALL,
    channelId: INCIDENT,
    text: 'failover payments --reason "incident channel burst"',
  });
  const card = await emulator.waitForMessage(INCIDENT, (m) => m.text.startsWith("Failover requested"), {
    timeoutMs: 15_000,
  });
  const value = /"value":"(failover-[^"]+)"/.exec(JSON.stringify(card.blocks))![1]!;
  const runId = value.split("|")[0]!;
  const click = (u: string) =>
    emulator.sendBlockAction({
      userId: u,
      channelId: INCIDENT,
      messageTs: card.ts,
      actionId: "dr:approve",
      value,
    });
  await Promise.all(warmUsers.map(click));
  // Slack's senders keep their connections to an app open, and a bot in an incident has long been
  // sent to: the emulator's connection pool is warmed with as many requests at once as the burst
  // (each of its people asks for help), so the burst times drbot's acks on open connections rather
  // than 200 connection set-ups. Their answers are all in before the burst starts.
  const crowd = [...statusUsers, ...approvers];
  const helped = (u: string) => emulator.ephemerals(u).length > 0;
  await Promise.all(
    crowd.map((u) => emulator.sendSlashCommand({ userId: u, channelId: INCIDENT, text: "help" })),
  );
  await waitFor(() => crowd.every(helped), {
    timeoutMs: 60_000,
    intervalMs: 20,
    description: "the help answers that warm the connections",
  });

  const senders: Array<() => Promise<InteractionResult>> = [];
  const perApproval = statusUsers.length / approvers.length;
  statusUsers.forEach((u, i) => {
    senders.push(() => status(u));
    if ((i + 1) % perApproval === 0) senders.push(() => click(approvers[(i + 1) / perApproval - 1]!));
  });
  const cpuBefore = [await cpuMs(pid), process.cpuUsage()] as const;
  const load = loadavg()[0]!;
  const started = Date.now();
  const acks = await Promise.all(senders.map((send) => send()));
  const drbotCpu = (await cpuMs(pid)) - cpuBefore[0];
  const benchCpu = process.cpuUsage(cpuBefore[1]);

  const answered: number[] = [];
  await waitFor(
    () => {
      answered.length = 0;
      for (const u of statusUsers) {
        const a = answer(u);
        if (a) answered.push(a.at - started);
      }
      return answered.length === statusUsers.length;
    },
    { timeoutMs: 60_000, intervalMs: 20, description: "every status answer" },
  );
  let recorded: string[] = [];
  await waitFor(
    async () => {
      const run = await store.getRun(runId);
      recorded = [...new Set((run?.approvals ?? []).map((a) => a.userId))];
      return recorded.length >= approvers.length;
    },
    { timeoutMs: 30_000, intervalMs: 50, description: "every approval on the run" },
  ).catch((error: unknown) => {
    // The figure below says how many were lost; the bench reports it instead of stopping.
    console.error(`approvals: ${error instanceof Error ? error.message : String(error)}`);
  });
  const startEvents = async () =>
    (await store.readEvents(runId)).filter(
      (e) => e.type === "run.state" && e.data.state === "running" && e.data.from !== "interrupted",
    ).length;
  // The last approval starts the run just after it is recorded: count once it has.
  await waitFor(async () => (await startEvents()) > 0, {
    timeoutMs: 30_000,
    intervalMs: 50,
    description: "the run to start",
  }).catch((error: unknown) => {
    console.error(`run start: ${error instanceof Error ? error.message : String(error)}`);
  });
  const starts = await startEvents();
  const ackMs = acks.map((a) => a.ackMs);
  // Each ack is timed from its own request's start, at or after the burst's: answers earlier than the
  // slowest ack's time from the burst's start certainly came before it (a lower bound).
  const lastAck = Math.max(...ackMs);
  const clickAcks = acks.filter((a) => a.kind === "block_actions").map((a) => a.ackMs);
  return {
    figures: [
      {
        name: "burst: interactions acked",
        value: acks.filter((a) => !a.timedOut && a.status === 200).length,
        unit: `of ${BURST}`,
        target: { op: ">=", value: BURST },
      },
      { name: "burst: ack p50", value: percentile(ackMs, 50), unit: "ms" },
      { name: "burst: ack p99", value: percentile(ackMs, 99), unit: "ms", target: { op: "<", value: 150 } },
      { name: "burst: slowest ack", value: Math.max(...ackMs), unit: "ms" },
      { name: "burst: approval ack p99", value: percentile(clickAcks, 99), unit: "ms" },
      {
        name: "burst: approvals lost",
        value: approvers.length - recorded.filter((u) => approvers.includes(u)).length,
        unit: "approvals",
        target: { op: "<=", value: 0 },
      },
      { name: "burst: run starts", value: starts, unit: "starts", target: { op: "<=", value: 1 } },
      {
        name: "burst: status answers before the last ack",
        value: answered.filter((at) => at < lastAck).length,
        unit: "answers",
      },
      {
        name: "burst: drbot's CPU until the last ack",
        value: drbotCpu,
        unit: "ms",
      },
      {
        name: "burst: the emulator's CPU sending it",
        value: (benchCpu.user + benchCpu.system) / 1000,
        unit: "ms",
      },
      { name: "burst: load average (1 min) at its start", value: load, unit: "" },
      {
        name: "burst: full status answer p99",
        value: percentile(answered, 99),
        unit: "ms",
        target: { op: "<", value: 3_000 },
      },
    ],
    notes: [
      `burst: ${BURST} interactions sent together into the incident channel of drbot serve (its own process, real Redis, Bolt over HTTP), ${BURST - APPROVERS} /dr status and ${APPROVERS} approvals of one failover card that needs all ${APPROVERS}, both sites healthy`,
    ],
  };
}

/** CPU time (user and system) a process has used so far, from /proc (Linux; 10 ms ticks). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at the third; utime, stime are 14, 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
