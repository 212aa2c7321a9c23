import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RedisRunStore } from "../../src/adapters/redis/redis-run-store.js";
import { parseEnvironment } from "../../src/config/environment.js";
import { redisSchema } from "../../src/domain/config.js";
import type { StepRecord } from "../../src/domain/run.js";
import { openRedisStore } from "../../src/runtime/open-redis-store.js";
import { testConfig } from "../support/config-fixture.js";
import { effect, engineHarness, Ledger } from "../support/engine-harness.js";
import { recordingLogger } from "../support/recording-logger.js";
import { type RedisNode, type SentinelSet, startSentinelSet } from "../support/redis-sentinel.js";
import { uniqueId } from "../support/run-fixtures.js";

/**
 * The Redis master killed (SIGKILL, as a lost node) while the running mark of a step that cannot be
 * repeated is being written, or while it is waited for on a replica: a real master, replica and
 * three Sentinels (the shipped scripts), the store opened as the runtime opens it (behind Sentinel a
 * replica is expected). Sentinel promotes the replica, which has no replica of its own until the
 * old master comes back: the step is not started on a mark no replica holds, the run pauses for a
 * person saying why, and once the old master is back as a replica a resume runs the step, once.
 *
 * What it cannot show: which of the two (the mark replicated before the kill, or lost with the
 * master) happened in a given run; either way the step has not run, and the test checks that.
 */
let set: SentinelSet;
const ENV = { password: "TEST_REDIS_PASSWORD", sentinelPassword: "TEST_SENTINEL_PASSWORD" };

// A set of its own for each case: Sentinel does not fail the same master name over again within
// twice its failover timeout, so a second kill soon after the first would wait for that.
beforeEach(async () => {
  set = await startSentinelSet();
}, 60_000);
afterEach(async () => {
  await set?.stop();
});

async function openStore(): Promise<RedisRunStore> {
  const config = {
    ...testConfig(),
    redis: {
      ...redisSchema.parse({}),
      keyPrefix: `${uniqueId("mark")}:`,
      sentinel: { name: set.name, sentinels: set.sentinels, passwordEnv: ENV.sentinelPassword },
      passwordEnv: ENV.password,
    },
  };
  const env = parseEnvironment({
    [ENV.password]: set.password,
    [ENV.sentinelPassword]: set.sentinelPassword,
  });
  return (await openRedisStore(config, env, recordingLogger())).store as RedisRunStore;
}

/** Kills the master at the moment `when` says, once; `killed` is the server, to start again. */
function killMasterOnce(store: RedisRunStore, at: "running mark" | "replica wait") {
  const state: { killed?: RedisNode; running?: string } = {};
  const putStep = store.putStep.bind(store);
  store.putStep = async (runId, step: StepRecord, event, token) => {
    if (step.status === "running") state.running = step.id;
    if (at === "running mark" && step.id === "promote" && step.status === "running" && !state.killed) {
      const write = putStep(runId, step, event, token);
      state.killed = await set.killMaster();
      return write;
    }
    return putStep(runId, step, event, token);
  };
  const awaitReplication = store.awaitReplication.bind(store);
  store.awaitReplication = async (timeoutMs) => {
    if (at === "replica wait" && state.running === "promote" && !state.killed)
      state.killed = await set.killMaster();
    return awaitReplication(timeoutMs);
  };
  return state;
}

describe.each([
  ["while its running mark is written", "running mark"],
  ["while its running mark is waited for on the replica", "replica wait"],
] as const)("a step that cannot be repeated, the Redis master killed %s", (_when, at) => {
  it("is not started on a mark no replica holds: the run pauses saying why, and runs the step once after a resume with the replica back", async () => {
    const store = await openStore();
    const killing = killMasterOnce(store, at);
    const ledger = new Ledger();
    const h = engineHarness({ store, ledger, leaseTtlMs: 20_000 });
    const run = await h.createApprovedRun([
      effect("fence"),
      effect("promote", { onFailure: "pause" }),
      effect("switch"),
    ]);

    const outcome = await h.engine.drive(run.id);
    expect(killing.killed).toBeDefined();
    expect(outcome).toEqual({ driven: true, state: "paused_failed_step" });
    expect(ledger.entries).toEqual(["fence"]);
    const promote = (await store.getSteps(run.id)).get("promote")!;
    expect(promote.status).toBe("failed");
    expect(promote.error).toMatch(
      /^not started: Redis is deployed with a replica but none was connected within 2000 ms, and this step cannot be repeated/,
    );
    expect((await store.getRun(run.id))!.stateReason).toContain("promote failed: not started");

    // The old master comes back as a replica of the promoted one; a person resumes.
    await killing.killed!.start();
    await set.waitForReplicasInSync(30_000);
    await h.service.resume({ actor: "U0A1", runId: run.id });
    await h.waitForState(run.id, ["completed"], 30_000);
    expect(ledger.entries).toEqual(["fence", "promote", "switch"]);
    await store.close();
  });
});
