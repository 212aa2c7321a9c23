import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { connectRedis, createRedisClient } from "../src/adapters/redis/create-redis-client.js";
import { RedisRunStore } from "../src/adapters/redis/redis-run-store.js";
import { parseEnvironment } from "../src/config/environment.js";
import { redisSchema } from "../src/domain/config.js";
import { isDrError } from "../src/domain/errors.js";
import { initialStepRecords, isTerminal, type RunRecord } from "../src/domain/run.js";
import { withTestKeys } from "../test/support/proven-service.js";
import { type SentinelSet, startSentinelSet } from "../test/support/redis-sentinel.js";
import { seededRandom } from "../test/support/seeded-random.js";
import { waitFor } from "../test/support/wait-for.js";
import { approvedRun, type BenchResult, percentile } from "./bench-kit.js";
import { diagnose } from "./chaos-diagnose.js";
import type { LeaseLine } from "./chaos-executor.js";
import { type Death, death, type Executor, executorFleet } from "./chaos-fleet.js";
import { chaosPerson } from "./chaos-person.js";
import { processesLeft } from "./chaos-processes.js";
import {
  chaosConfig,
  chaosPlan,
  chaosRegistry,
  type EffectLine,
  readEffects,
  STEPS,
  wallNow,
} from "./chaos-steps.js";
import { executions, overlaps, repeatedEffects, takeovers } from "./chaos-tally.js";

/**
 * Chaos: RUNS runs of a 30-step runbook on a real Redis master, replica and three Sentinels (the
 * shipped scripts, with their passwords), executed by EXECUTORS real processes that reach Redis
 * through Sentinel and a TCP proxy each, while executors are SIGKILLed (a replacement starts soon
 * after) and cut off from Redis (blackholed, then healed) at random from a fixed seed, and the Redis
 * master fails over three times (killed, SENTINEL FAILOVER, killed; the old master comes back as a
 * replica). Every step execution is written outside Redis (bench/chaos-steps.ts); the figures
 * come from those files: effects done twice, one run executed by two executors at once, runs lost
 * (acknowledged, then missing or never settled), runs paused for a person, and the time from an
 * executor's death to another's first claim of a run it held. A run that pauses for a person gets
 * one (bench/chaos-person.ts): they check the file, skip a step whose effect took place or resume
 * the run, signed and checked as in production, and the executors carry it on; what they did and
 * how each such run ended is listed.
 *
 * What it cannot show: a kernel's own TCP timeouts (the proxy holds connections open; clients give
 * up by their own deadlines), clock jumps, a disk that loses O_APPEND lines, or Kubernetes restarting
 * pods; every process runs on one loaded machine, so a long event-loop stall counts against the
 * lease's safety margin exactly as it would in production.
 */
const RUNS = 50;
const EXECUTORS = 4;
const ACTIVE = 8;
const LEASE_TTL_MS = 3_000;
const SUPERVISE_MS = 300;
const COMMAND_TIMEOUT_MS = 1_000;
const STEP_MS = 40;
const SEED = 13;
const DEADLINE_MS = 5 * 60_000;
/** Failovers when this many runs have been requested: killed, SENTINEL FAILOVER, killed. */
const FAILOVERS: { after: number; how: "kill" | "sentinel failover" }[] = [
  { after: 12, how: "kill" },
  { after: 25, how: "sentinel failover" },
  { after: 38, how: "kill" },
];
const PREFIX = "chaos:";
/** How many times the person looks at one run before leaving it paused. */
const MAX_DECISIONS = 5;
/** A run no executor can carry further without a person, or finished. */
const SETTLED = (s: RunRecord["state"]) => isTerminal(s) || s === "paused_failed_step";

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function run(): Promise<BenchResult> {
  const began = performance.now();
  const random = seededRandom(SEED);
  const dir = await mkdtemp(join(tmpdir(), "drbot-chaos-"));
  let set: SentinelSet | undefined;
  let fleet: ReturnType<typeof executorFleet> | undefined;
  let store: RedisRunStore | undefined;
  let disconnect: () => void = () => undefined;
  let keep = false;
  const ports: number[] = [];
  let stopped: Promise<void> | undefined;
  const stopAll = () => {
    stopped ??= (async () => {
      disconnect();
      await fleet?.stop();
      await set?.stop();
    })();
    return stopped;
  };
  try {
    set = await startSentinelSet({ downAfterMs: 1_000, failoverTimeoutMs: 5_000 });
    ports.push(...set.nodes.map((n) => n.port), ...set.sentinels.map((s) => s.port));
    const client = createRedisClient(
      redisSchema.parse({ keyPrefix: PREFIX, commandTimeout: 2_000 }),
      parseEnvironment({
        REDIS_SENTINELS: set.sentinels.map((s) => `${s.host}:${s.port}`).join(","),
        REDIS_SENTINEL_NAME: set.name,
        REDIS_PASSWORD: set.password,
        REDIS_SENTINEL_PASSWORD: set.sentinelPassword,
      }),
    );
    disconnect = () => client.disconnect();
    await connectRedis(client, 10_000);
    store = new RedisRunStore(client, PREFIX);
    const runs = store;
    const sentinels = set;
    const config = chaosConfig(LEASE_TTL_MS);
    const registry = chaosRegistry(dir, "bench");
    const { plan, scope } = chaosPlan(config, registry, STEP_MS);
    const fleetOf = executorFleet({
      set,
      dir,
      prefix: PREFIX,
      leaseTtlMs: LEASE_TTL_MS,
      superviseMs: SUPERVISE_MS,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });
    fleet = fleetOf;
    for (let i = 0; i < EXECUTORS; i++) await fleetOf.start();

    const deadline = began + DEADLINE_MS;
    const created: string[] = [];
    const unreplicated: string[] = [];
    const resent: string[] = [];
    const settled = new Map<string, RunRecord>();
    const deaths: Death[] = [];
    /** What the person decided about each run that paused for one, in order. */
    const decisions = new Map<string, string[]>();
    const person = chaosPerson({
      config: withTestKeys(config),
      store: runs,
      registry,
      dir,
      replicaBack: async () => {
        await waitFor(
          async () => /connected_slaves:[1-9]/.test(await client.info("replication").catch(() => "")),
          {
            timeoutMs: 30_000,
            intervalMs: 200,
            description: "a replica connected to Redis's master",
          },
        );
        await sentinels.waitForReplicasInSync(30_000);
      },
    });
    const failovers: { how: string; ms: number }[] = [];
    const faultNotes: string[] = [];
    const timeline: string[] = [];
    const mark = (what: string) => void timeline.push(`${new Date().toISOString().slice(11, 23)} ${what}`);
    let done = false;

    const requestRun = async (index: number) => {
      const now = Date.now();
      const record = approvedRun({
        id: `chaos-${String(index).padStart(2, "0")}`,
        runbook: "chaos",
        scope,
        plan,
        now,
      });
      const event = { type: "run.requested" as const, at: now, actor: "bench", runId: record.id, data: {} };
      const create = async () => {
        for (;;) {
          try {
            await runs.createRun(record, initialStepRecords(plan), event);
            return;
          } catch (error) {
            // Created by an attempt whose answer was lost, or refused for now: look, then try again.
            if (isDrError(error, "conflict")) return;
            if (!isDrError(error, "unavailable") || performance.now() > deadline) throw error;
            if (await runs.getRun(record.id).catch(() => undefined)) return;
            await delay(200);
          }
        }
      };
      await create();
      // The requester counts a request as made once a replica has it; a failover that lost it
      // before then is a request to make again (as a person would type the command again).
      for (let tries = 0; performance.now() < deadline; tries++) {
        const replication = await runs.awaitReplication(2_000).catch(() => "unavailable" as const);
        const there = await runs.getRun(record.id).catch(() => "unknown" as const);
        if (there === undefined) {
          resent.push(record.id);
          await create();
        } else if (replication === "replicated" && there !== "unknown") break;
        else await delay(300);
        if (tries === 0 && replication !== "replicated") unreplicated.push(record.id);
      }
      created.push(record.id);
    };

    const feeder = async () => {
      while (!done && created.length < RUNS) {
        if (created.length - settled.size < ACTIVE) await requestRun(created.length);
        else await delay(100);
      }
    };

    const watcher = async () => {
      while (!done) {
        for (const id of created) {
          if (settled.has(id)) continue;
          const record = await runs.getRun(id).catch(() => undefined);
          if (!record || !SETTLED(record.state)) continue;
          const asked = decisions.get(id) ?? [];
          if (record.state === "paused_failed_step" && asked.length < MAX_DECISIONS) {
            // The person looks at it now, as the executors and the faults carry on.
            const did = await person(id).catch((error: unknown) => `could not decide (${String(error)})`);
            decisions.set(id, [...asked, `${brief(record.stateReason ?? "paused")} → ${did}`]);
            continue;
          }
          settled.set(id, record);
        }
        if (created.length === RUNS && settled.size === RUNS) done = true;
        else if (performance.now() > deadline) done = true;
        else await delay(250);
      }
    };

    const healthy = () => fleetOf.all.filter((e) => e.ready && !e.partitioned);
    const pick = (list: readonly Executor[]) => list[Math.floor(random() * list.length)]!;
    const chaos = async () => {
      const pending: Promise<void>[] = [];
      while (!done) {
        await delay(1_500 + random() * 2_500);
        if (done || healthy().length < 2) continue;
        const victim = pick(healthy());
        if (random() < 0.5) {
          deaths.push(death(victim.owner, "kill"));
          mark(`kill ${victim.owner}`);
          await victim.kill();
          const after = 300 + random() * 1_200;
          pending.push(delay(after).then(async () => mark(`start ${(await fleetOf.start()).owner}`)));
        } else {
          const lasts = 1_000 + random() * 5_000;
          const cut = death(victim.owner, "partition");
          deaths.push(cut);
          victim.partition();
          mark(`partition ${victim.owner} for ${Math.round(lasts)} ms`);
          pending.push(
            delay(lasts).then(() => {
              victim.heal();
              mark(`heal ${victim.owner}`);
              cut.healedAt = wallNow();
            }),
          );
        }
      }
      await Promise.all(pending);
      for (const e of fleetOf.all) if (e.partitioned) e.heal();
    };

    const failingOver = async () => {
      for (const planned of FAILOVERS) {
        while (!done && created.length < planned.after) await delay(100);
        if (done) return;
        try {
          await sentinels.waitForReplicasInSync(30_000);
          const { port } = await sentinels.master();
          const t0 = performance.now();
          mark(`failover (${planned.how}) of ${port}`);
          if (planned.how === "kill") {
            const old = await sentinels.killMaster();
            await sentinels.waitForNewMaster(port, 60_000);
            failovers.push({ how: planned.how, ms: performance.now() - t0 });
            mark(`new master named`);
            await delay(2_000);
            await old.start();
            mark(`old master ${port} back`);
          } else {
            await sentinels.sentinelClient().call("SENTINEL", "FAILOVER", sentinels.name);
            await sentinels.waitForNewMaster(port, 60_000);
            failovers.push({ how: planned.how, ms: performance.now() - t0 });
          }
        } catch (error) {
          faultNotes.push(`the ${planned.how} failover after run ${planned.after} failed: ${String(error)}`);
        }
      }
    };

    await Promise.all([feeder(), watcher(), chaos(), failingOver()]);
    const benchEnd = wallNow();

    // What Redis holds at the end, read on a fresh look (after the last failover settled).
    const final = new Map<string, RunRecord | undefined>();
    for (const id of created) final.set(id, await runs.getRun(id).catch(() => undefined));
    const missing = created.filter((id) => final.get(id) === undefined);
    const stuck = created.filter((id) => {
      const r = final.get(id);
      return r !== undefined && !SETTLED(r.state);
    });
    const lines: EffectLine[] = created.flatMap((id) => readEffects(dir, id));
    const all = executions(lines, deaths, benchEnd);
    const repeated = repeatedEffects(all);
    const together = overlaps(all);
    const leases = (await readFile(join(dir, "leases.log"), "utf8").catch(() => ""))
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LeaseLine);
    const taken = takeovers(leases, deaths);
    const completed = created.filter((id) => final.get(id)?.state === "completed");
    const paused = created.filter((id) => final.get(id)?.state === "paused_failed_step");
    const otherEnds = created.filter((id) => {
      const s = final.get(id)?.state;
      return s !== undefined && isTerminal(s) && s !== "completed";
    });
    const pausedNotes = [
      ...[...decisions].map(
        ([id, did]) =>
          `paused ${id}, the person: ${did.join("; paused again: ")}; it ended ${final.get(id)?.state}`,
      ),
      ...(await Promise.all(paused.map((id) => whyPaused(runs, id, final.get(id)!, lines)))),
    ];
    const diagnosis = stuck.length > 0 ? await diagnose(sentinels, PREFIX, stuck) : [];
    await writeFile(join(dir, "faults.log"), `${timeline.join("\n")}\n`);
    const lost = missing.length + stuck.length + (RUNS - created.length);
    keep = lost > 0 || repeated.twice.length > 0 || together.length > 0;

    const figures: BenchResult["figures"] = [
      { name: "runs requested", value: created.length, unit: "runs", target: { op: ">=", value: RUNS } },
      { name: "runs lost", value: lost, unit: "runs", target: { op: "<=", value: 0 } },
      {
        name: "effects executed twice",
        value: repeated.twice.length,
        unit: "steps",
        target: { op: "<=", value: 0 },
      },
      {
        name: "runs executed by two executors at once",
        value: new Set(together.map((o) => o.split(":")[0])).size,
        unit: "runs",
        target: { op: "<=", value: 0 },
      },
      { name: "runs completed", value: completed.length, unit: "runs" },
      { name: "runs paused for a person", value: decisions.size, unit: "runs" },
      {
        name: "of them completed after the person's decision",
        value: [...decisions.keys()].filter((id) => completed.includes(id)).length,
        unit: "runs",
      },
      { name: "runs left paused at the end", value: paused.length, unit: "runs" },
      {
        name: "repeatable steps done again (allowed)",
        value: repeated.idempotentRepeats.length,
        unit: "steps",
      },
      {
        name: "death to takeover p50",
        value: percentile(taken.latencies, 50),
        unit: "ms",
      },
      { name: "death to takeover p99", value: percentile(taken.latencies, 99), unit: "ms" },
      { name: "takeovers measured", value: taken.latencies.length, unit: "takeovers" },
      { name: "executors SIGKILLed", value: deaths.filter((d) => d.how === "kill").length, unit: "kills" },
      {
        name: "executors partitioned",
        value: deaths.filter((d) => d.how === "partition").length,
        unit: "partitions",
      },
      {
        name: "Redis primary failovers",
        value: failovers.length,
        unit: "failovers",
        target: { op: ">=", value: 2 },
      },
      { name: "wall time", value: (performance.now() - began) / 1000, unit: "s" },
    ];
    const notes = [
      `${RUNS} runs of ${STEPS} steps (${STEP_MS} ms each; 3 per run cannot be repeated nor observed), at most ${ACTIVE} at a time, on ${EXECUTORS} executor processes (replacements started after each kill: ${fleetOf.all.length} in all); lease TTL ${LEASE_TTL_MS} ms, supervisor every ${SUPERVISE_MS} ms, Redis command deadline ${COMMAND_TIMEOUT_MS} ms; seed ${SEED}`,
      `failovers: ${failovers.map((f) => `${f.how} (new master named in ${Math.round(f.ms)} ms)`).join(", ") || "none"}`,
      `takeovers: ${taken.latencies.length} measured; ${taken.keptAfterHealing} runs kept by their executor when its partition healed in time; ${taken.neverTakenOver.length} held runs with no lease line after the death${
        taken.neverTakenOver.length
          ? ` (${taken.neverTakenOver
              .map((r) => `${r}, ending ${final.get(r.split(" ")[0]!)?.state}`)
              .slice(0, 5)
              .join("; ")})`
          : ""
      }`,
      `ends other than completed or paused: ${otherEnds.map((id) => `${id} ${final.get(id)?.state}: ${final.get(id)?.stateReason ?? ""}`).join("; ") || "none"}`,
      ...pausedNotes,
      ...(missing.length ? [`missing from Redis at the end: ${missing.join(", ")}`] : []),
      ...(stuck.length
        ? [`not settled by the deadline: ${stuck.map((id) => `${id} ${final.get(id)?.state}`).join(", ")}`]
        : []),
      ...(unreplicated.length
        ? [`requests a replica did not acknowledge at once: ${unreplicated.join(", ")}`]
        : []),
      ...(resent.length
        ? [`requests made again because a failover lost them before a replica had them: ${resent.join(", ")}`]
        : []),
      ...repeated.twice.map((t) => `effect twice: ${t}`),
      ...together.slice(0, 10).map((o) => `at once: ${o}`),
      ...faultNotes,
      ...diagnosis,
      `load average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}`,
    ];
    // Everything it started is stopped before it counts what is left.
    await stopAll();
    const left = await processesLeft(dir, ports);
    console.log(`  processes left: ${left.length}${left.length ? ` (${left.join("; ")})` : ""}`);
    figures.push({
      name: "processes left",
      value: left.length,
      unit: "processes",
      target: { op: "<=", value: 0 },
    });
    return { name: "chaos", figures, notes };
  } finally {
    await stopAll();
    if (keep) console.log(`  kept for a look: ${dir} (effects, leases.log, faults.log, each executor's log)`);
    else await rm(dir, { recursive: true, force: true });
  }
}

/** A pause's reason up to its first parenthesis: what it is, without how to go on. */
function brief(reason: string): string {
  return reason.replace(/ \(.*$/, "").slice(0, 120);
}

/** Why a run paused for a person, and what a person who reads the file would do. */
async function whyPaused(
  store: RedisRunStore,
  runId: string,
  run: RunRecord,
  lines: readonly EffectLine[],
): Promise<string> {
  const steps = await store.getSteps(runId).catch(() => new Map());
  const failed = [...steps.values()].filter((s) => s.status === "failed");
  const unfinished = [...steps.values()]
    .filter((s) => s.status !== "succeeded" && s.status !== "failed")
    .map((s) => `${s.id} ${s.status}`)
    .slice(0, 4);
  const said = failed.map((s) => {
    const effects = lines.filter((l) => l.run === runId && l.step === s.id && l.ev === "effect").length;
    const kind = run.plan.steps.find((p) => p.id === s.id)?.kind ?? "?";
    return `${s.id} (${kind}) done ${effects} time(s): a person would ${effects > 0 ? "skip" : "resume"} it`;
  });
  return `paused ${runId}: ${run.stateReason ?? "no reason"}; ${said.join("; ") || "no failed step"}${unfinished.length ? `; not finished: ${unfinished.join(", ")}` : ""}`;
}
