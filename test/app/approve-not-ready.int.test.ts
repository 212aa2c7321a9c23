import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RedisRunStore } from "../../src/adapters/redis/redis-run-store.js";
import { refusalText } from "../../src/app/error-messages.js";
import { runText } from "../../src/cli/render-text.js";
import type { DrError } from "../../src/domain/errors.js";
import { parseClaim } from "../../src/domain/evidence/signed-claim.js";
import { readinessKey } from "../../src/domain/readiness/run-readiness.js";
import { testConfig, testRunbook } from "../support/config-fixture.js";
import { effect, engineHarness } from "../support/engine-harness.js";
import { FixedReadiness, readinessRound } from "../support/readiness-fixture.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";

/**
 * The CLI's way to approve a real failover of a scope that is not ready (`drbot approve RUN --plan
 * HASH --accept-not-ready`): each approver signs, with their own SSH key, a claim naming the
 * readiness reading they accept; runs in a real Redis, the kept round a fixture.
 */
let redis: RedisServer;
let store: RedisRunStore | undefined;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function setup(readiness: FixedReadiness) {
  store = await openTestRedisStore(redis.url, `approve-not-ready-${process.pid}-${++prefixes}:`);
  return engineHarness({
    store,
    config: testConfig(),
    runbooks: [
      testRunbook({
        name: "failover",
        phases: [{ name: "main", steps: [effect("scale-up"), effect("switch-dns")] }],
      }),
    ],
    readiness,
    autoStart: false,
  });
}

describe("approving a not-ready failover from the CLI", () => {
  it("refuses without --accept-not-ready, changing nothing, and signs the reading accepted with it", async () => {
    const h = await setup(new FixedReadiness(readinessRound(Date.now() - 60_000)));
    const { run } = await h.service.request({
      actor: "U0ONCALL",
      runbook: "failover",
      targets: ["payments"],
      reason: "DC1 unreachable",
      source: "cli",
    });
    expect(run.readiness).toMatchObject({ read: true, verdict: "not_ready", notReady: 1 });
    // drbot show says what is not ready and how to accept it.
    const shown = runText(run, await h.store.getSteps(run.id), Date.now());
    expect(shown).toMatch(
      /\n {2}readiness: not ready, round of [^\n]+ \(approve with --accept-not-ready, which accepts it\)\n {4}not ready: payments drift: image payments-api: ghcr\.io\/acme\/payments:1\.4\.2 on dc1, 1\.4\.1 on dc2\n/,
    );

    const refused = await h.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash }).then(
      () => undefined,
      (error: DrError) => error,
    );
    expect(refused?.code).toBe("not_ready_not_accepted");
    expect(refusalText(refused!, "cli")).toBe(
      "the DR site is not ready to serve this scope (payments drift: image payments-api: ghcr.io/acme/payments:1.4.2 on dc1, 1.4.1 on dc2), and an approval must accept that explicitly; approve again with --accept-not-ready, which accepts it",
    );
    expect((await h.store.getRun(run.id))!.approvals).toEqual([]);

    for (const actor of ["U0A1", "U0A2"])
      await h.service.approve({ actor, runId: run.id, planHash: run.plan.hash, acceptsNotReady: true });
    const approved = (await h.store.getRun(run.id))!;
    expect(approved.state).toBe("approved");
    for (const approval of approved.approvals) {
      expect(approval.acceptedNotReady).toBe(true);
      const proof = approval.proof!;
      expect(proof.via).toBe("ssh");
      if (proof.via === "ssh")
        expect(parseClaim(proof.message).details["accepts-not-ready"]).toBe(readinessKey(run.readiness!));
    }
    expect(await h.service.evidence.checkRun(approved)).toEqual({ ok: true, approvedBy: ["U0A1", "U0A2"] });
  });

  it("asks no acceptance of a scope that is only degraded", async () => {
    const h = await setup(new FixedReadiness(readinessRound(Date.now() - 60_000, { payments: [] })));
    const { run } = await h.service.request({
      actor: "U0ONCALL",
      runbook: "failover",
      targets: ["payments", "core-api"],
      reason: "DC1 unreachable",
      source: "cli",
    });
    expect(run.readiness).toMatchObject({ read: true, verdict: "degraded" });
    for (const actor of ["U0A1", "U0A2"])
      await h.service.approve({ actor, runId: run.id, planHash: run.plan.hash });
    expect((await h.store.getRun(run.id))!.state).toBe("approved");
  });
});
