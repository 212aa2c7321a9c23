import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunStore } from "../../src/ports/run-store.js";
import { effect, engineHarness } from "../support/engine-harness.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";
import { waitFor } from "../support/wait-for.js";

/**
 * A child process executing a run is killed with SIGKILL at every checkpoint in turn (after each
 * persisted transition, and inside each step before and after its effect). A fresh process then
 * takes the run over. Every step's effect must have happened exactly once, and no run may be left
 * running without a live owner.
 */
const CHILD = new URL("./fixtures/crash-child.ts", import.meta.url).pathname;
const STEPS = [
  effect("a"),
  effect("b"),
  effect("c1", { group: "fan" }),
  effect("c2", { group: "fan" }),
  effect("c3", { group: "fan" }),
  effect("d"),
];
const KEYS = ["a", "b", "c1", "c2", "c3", "d"];

describe("crash safety", () => {
  let redis: RedisServer;
  let store: RunStore;
  const prefix = `crash-${process.pid}:`;

  beforeAll(async () => {
    redis = await startRedisServer();
    store = await openTestRedisStore(redis.url, prefix);
  });
  afterAll(async () => {
    await store?.close();
    await redis?.stop();
  });

  async function child(runId: string, ledger: string, killAt: number, owner: string) {
    return execa(process.execPath, ["--import", "tsx", CHILD], {
      env: {
        REDIS_URL: redis.url,
        RUN_ID: runId,
        KILL_AT: String(killAt),
        LEDGER_FILE: ledger,
        OWNER: owner,
        KEY_PREFIX: prefix,
      },
      reject: false,
      timeout: 60_000,
    });
  }

  it("completes every run exactly once whatever the point at which its executor is killed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "drbot-crash-"));
    const killedAt: number[] = [];
    for (let killAt = 1; killAt <= 28; killAt++) {
      // Runs are created here; only the children execute them.
      const creator = engineHarness({ store });
      const run = await creator.createApprovedRun(STEPS, { id: `crash-${process.pid}-${killAt}` });
      const ledger = join(dir, `ledger-${killAt}`);
      const first = await child(run.id, ledger, killAt, `victim-${killAt}`);
      if (first.signal === "SIGKILL") killedAt.push(killAt);
      else expect(first.exitCode, first.stderr).toBe(0);
      const afterVictim = (await store.getRun(run.id))!;
      const second = await child(run.id, ledger, 0, `survivor-${killAt}`);
      expect(second.exitCode, second.stderr).toBe(0);

      const final = (await store.getRun(run.id))!;
      expect(final.state, `kill point ${killAt}`).toBe("completed");
      const lines = (await readFile(ledger, "utf8")).split("\n").filter(Boolean);
      for (const key of KEYS)
        expect(
          lines.filter((l) => l === key),
          `effect ${key} at kill point ${killAt}`,
        ).toHaveLength(1);
      // No lease outlives the run: released by whoever finished it, or, when the victim was killed
      // between completing the run and releasing its lease, lapsing after its TTL (400 ms).
      await waitFor(async () => (await store.leaseHolder(run.id)) === undefined, {
        timeoutMs: 5_000,
        description: `the lease of ${run.id} to be released or to lapse`,
      });
      const steps = await store.getSteps(run.id);
      expect([...steps.values()].every((s) => s.status === "succeeded")).toBe(true);
      // Killed before the run ended: the survivor must be the one that finished it.
      if (first.signal === "SIGKILL" && afterVictim.state !== "completed") {
        const events = await store.readEvents(run.id);
        expect(events.some((e) => e.actor.startsWith("engine:survivor"))).toBe(true);
      }
    }
    expect(killedAt.length).toBeGreaterThanOrEqual(20);
    expect(await store.listActiveRunIds()).toEqual([]);
  }, 300_000);
});
