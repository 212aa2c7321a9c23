import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import type { DrError } from "../../src/domain/errors.js";
import type { RpoReading } from "../../src/domain/rpo.js";
import type { AnyStepKind } from "../../src/engine/step-kind.js";
import type { RunStore } from "../../src/ports/run-store.js";
import { testConfig, testRunbook } from "../support/config-fixture.js";
import { crashable, crashingStepKind } from "../support/crashing-step-kind.js";
import { effect, engineHarness, Ledger } from "../support/engine-harness.js";
import { mortalStore } from "../support/mortal-store.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";
import { waitFor } from "../support/wait-for.js";

const clock = { now: () => Date.now() };

function setup(
  options: {
    required?: number;
    approvers?: string[];
    expiry?: string;
    clock?: { now(): number };
    readRpo?: () => Promise<RpoReading[]>;
    restorePoints?: Parameters<typeof engineHarness>[0]["restorePoints"];
    /** The store this process sees (default: a fresh in-memory store). */
    store?: RunStore;
    ownerId?: string;
    leaseTtlMs?: number;
    ledger?: Ledger;
    extraKinds?: AnyStepKind[];
    /** The failover runbook's steps (default: two effects, scale-up and switch-dns). */
    steps?: unknown[];
  } = {},
) {
  const approvers = options.approvers ?? ["U0A1", "U0A2", "U0A3"];
  const config = testConfig({
    slack: {
      incidentChannels: ["C0INCIDENT"],
      permissions: {
        failover: {
          requesters: { users: ["U0ONCALL", "U0ONCALL2"] },
          approvers: { users: approvers, groups: ["S0CMD"] },
        },
        drill: { requesters: { users: ["U0ONCALL"] }, approvers: { users: [] } },
      },
    },
  });
  const runbook = testRunbook({
    name: "failover",
    approvals: { required: options.required ?? 2, ...(options.expiry ? { expiry: options.expiry } : {}) },
    phases: [{ name: "main", steps: options.steps ?? [effect("scale-up"), effect("switch-dns")] }],
  });
  const drill = testRunbook({
    name: "drill",
    kind: "drill",
    phases: [{ name: "main", steps: [effect("drill-step")] }],
  });
  const time = options.clock ?? clock;
  return engineHarness({
    store: options.store ?? new MemoryRunStore(time),
    clock: time,
    config,
    runbooks: [runbook, drill],
    ...(options.ownerId ? { ownerId: options.ownerId } : {}),
    ...(options.leaseTtlMs ? { leaseTtlMs: options.leaseTtlMs } : {}),
    ...(options.ledger ? { ledger: options.ledger } : {}),
    ...(options.extraKinds ? { extraKinds: options.extraKinds } : {}),
    ...(options.readRpo ? { readRpo: options.readRpo } : {}),
    ...(options.restorePoints ? { restorePoints: options.restorePoints } : {}),
  });
}

const request = (h: ReturnType<typeof setup>, extra: Record<string, unknown> = {}) =>
  h.service.request({
    actor: "U0ONCALL",
    runbook: "failover",
    targets: ["payments"],
    reason: "DC1 unreachable",
    source: "slack",
    ...extra,
  });

describe("requesting a run", () => {
  it("creates a pending request with the plan, its hash and the approvals needed", async () => {
    const h = setup();
    const { run, duplicate } = await request(h);
    expect(duplicate).toBe(false);
    expect(run).toMatchObject({
      state: "pending_approval",
      requiredApprovals: 2,
      requestedBy: "U0ONCALL",
      reason: "DC1 unreachable",
    });
    expect(run.plan.steps.map((s) => s.id)).toEqual(["scale-up", "switch-dns"]);
    expect((await h.store.readEvents(run.id))[0]).toMatchObject({ type: "run.requested", actor: "U0ONCALL" });
  });

  it("refuses someone who may not request, and audits it", async () => {
    const h = setup();
    await expect(request(h, { actor: "U0STRANGER" })).rejects.toMatchObject({ code: "not_permitted" });
    const audit = await h.service.auditTrail();
    expect(audit.at(-1)).toMatchObject({
      type: "run.refusal",
      actor: "U0STRANGER",
      data: { code: "not_permitted" },
    });
    expect(await h.store.listRuns()).toEqual([]);
  });

  it("frees the scope when a request is rejected", async () => {
    const h = setup();
    const { run } = await request(h);
    await h.service.reject({ actor: "U0A1", runId: run.id, note: "not yet" });
    const again = await request(h);
    expect(again.run.id).not.toBe(run.id);
  });
});

describe("approving a run", () => {
  it("starts the run after two distinct approvers, never counting the requester", async () => {
    const h = setup();
    const { run } = await request(h);
    await expect(
      h.service.approve({ actor: "U0ONCALL", runId: run.id, planHash: run.plan.hash }),
    ).rejects.toMatchObject({ code: "self_approval" });
    await expect(
      h.service.approve({ actor: "U0STRANGER", runId: run.id, planHash: run.plan.hash }),
    ).rejects.toMatchObject({ code: "not_eligible" });
    const first = await h.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash });
    expect(first.started).toBe(false);
    await expect(
      h.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash }),
    ).rejects.toMatchObject({ code: "already_approved" });
    const second = await h.service.approve({ actor: "U0GROUPIE", runId: run.id, planHash: run.plan.hash });
    expect(second.started).toBe(true);
    const done = await h.waitForState(run.id, ["completed"]);
    expect(done.approvals.map((a) => a.userId)).toEqual(["U0A1", "U0GROUPIE"]);
    expect(h.ledger.entries).toEqual(["scale-up", "switch-dns"]);
    const refusals = (await h.store.readEvents(run.id))
      .filter((e) => e.type === "run.refusal")
      .map((e) => [e.actor, e.data.code]);
    expect(refusals).toEqual([
      ["U0ONCALL", "self_approval"],
      ["U0A1", "already_approved"],
    ]);
    // Someone with no role on the run is refused into the audit stream, not into the run's trail.
    expect((await h.service.auditTrail()).map((e) => [e.actor, e.runId, e.data.code])).toEqual([
      ["U0STRANGER", run.id, "not_eligible"],
    ]);
  });

  it("refuses an approval for a plan that is no longer the current one", async () => {
    const h = setup();
    const { run } = await request(h);
    await expect(
      h.service.approve({ actor: "U0A1", runId: run.id, planHash: "0000000000000000" }),
    ).rejects.toMatchObject({ code: "plan_changed" });
  });

  it("expires requests nobody decided in time", async () => {
    const time = {
      at: Date.now(),
      now() {
        return this.at;
      },
    };
    const h = setup({ expiry: "30m", clock: time });
    const { run } = await request(h);
    expect((await h.service.supervise()).expired).toEqual([]);
    time.at += 30 * 60_000;
    const swept = await h.service.supervise();
    expect(swept.expired).toEqual([run.id]);
    await expect(
      h.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash }),
    ).rejects.toMatchObject({ code: "approval_expired" });
    expect((await request(h)).run.id).not.toBe(run.id);
  });

  it("ends a rejected request for good", async () => {
    const h = setup();
    const { run } = await request(h);
    const rejected = await h.service.reject({ actor: "U0A2", runId: run.id, note: "primary is back" });
    expect(rejected).toMatchObject({ state: "rejected" });
    await expect(
      h.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash }),
    ).rejects.toMatchObject({ code: "already_decided" });
  });

  it("lets nobody approve when the approver list is empty", async () => {
    const h = setup();
    const { run } = await h.service.request({
      actor: "U0ONCALL",
      runbook: "drill",
      targets: ["payments"],
      reason: "quarterly",
      source: "cli",
    });
    await expect(
      h.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash }),
    ).rejects.toMatchObject({ code: "not_eligible" });
  });
});

/** Counts compare-and-set writes of a run that lost to a concurrent one: proof that callers raced. */
function countingLostWrites(store: RunStore): { store: RunStore; lost: () => number } {
  let lost = 0;
  const view = new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      if (name !== "updateRun") return value.bind(target);
      return async (...args: Parameters<RunStore["updateRun"]>) => {
        const written = await target.updateRun(...args);
        if (!written) lost++;
        return written;
      };
    },
  });
  return { store: view, lost: () => lost };
}

/** The supervisor's periodic pass (drbot serve runs it every half lease), until the run reaches `state`. */
async function superviseUntil(h: ReturnType<typeof setup>, runId: string, state: string): Promise<string[]> {
  const driven: string[] = [];
  await waitFor(
    async () => {
      driven.push(...(await h.service.supervise()).driven);
      return (await h.store.getRun(runId))?.state === state;
    },
    {
      timeoutMs: 15_000,
      intervalMs: 50,
      description: `the supervisor to take ${runId} over and reach ${state}`,
    },
  );
  return driven;
}

describe.each(["memory", "redis"] as const)("on the %s store", (kind) => {
  let redis: RedisServer | undefined;
  const opened: RunStore[] = [];
  let prefixes = 0;

  beforeAll(async () => {
    if (kind === "redis") redis = await startRedisServer();
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** A store of the test's own: a fresh in-memory store, or the real RedisRunStore on a fresh key prefix. */
  async function openStore(): Promise<RunStore> {
    if (!redis) return new MemoryRunStore(clock);
    const store = await openTestRedisStore(redis.url, `dr-service-${process.pid}-${++prefixes}:`);
    opened.push(store);
    return store;
  }

  describe("under concurrency", () => {
    it("records exactly 20 approvals from 20 simultaneous approvers and starts the run once", async () => {
      const approvers = Array.from({ length: 20 }, (_, i) => `U0APP${String(i).padStart(2, "0")}`);
      const counted = countingLostWrites(await openStore());
      const h = setup({ required: 20, approvers, store: counted.store });
      const { run } = await request(h);
      const results = await Promise.all(
        approvers.map((actor) => h.service.approve({ actor, runId: run.id, planHash: run.plan.hash })),
      );
      // They really raced: approvals read the same version and all but one lost the write.
      expect(counted.lost()).toBeGreaterThan(0);
      expect(results.filter((r) => r.started)).toHaveLength(1);
      const done = await h.waitForState(run.id, ["completed"]);
      expect(new Set(done.approvals.map((a) => a.userId))).toEqual(new Set(approvers));
      expect(done.approvals).toHaveLength(20);
      expect(h.ledger.entries).toEqual(["scale-up", "switch-dns"]);
      const approvalEvents = (await h.store.readEvents(run.id)).filter((e) => e.type === "run.approval");
      expect(approvalEvents.map((e) => e.actor).sort()).toEqual(approvers);
      const starts = (await h.store.readEvents(run.id)).filter(
        (e) => e.type === "run.state" && e.data.state === "running",
      );
      expect(starts).toHaveLength(1);
    });

    it("starts one request when the same command is delivered 10 times", async () => {
      const h = setup({ store: await openStore() });
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, () => request(h, { dedupeKey: "trigger-123" })),
      );
      const ids = new Set(outcomes.map((o) => o.run.id));
      expect(ids.size).toBe(1);
      expect(outcomes.filter((o) => !o.duplicate)).toHaveLength(1);
      expect(await h.store.listRuns()).toHaveLength(1);
    });

    it("lets one of two simultaneous requests for the same scope through and names it to the other", async () => {
      const h = setup({ store: await openStore() });
      const results = await Promise.allSettled([request(h), request(h, { actor: "U0ONCALL2" })]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof request>>>).value.run;
      const error = lost[0]!.reason as DrError;
      expect(error.code).toBe("scope_busy");
      expect(error.details).toEqual({
        runId: winner.id,
        owner: winner.requestedBy,
        state: "pending_approval",
        kind: "failover",
        applications: winner.scope.applications,
        shared: winner.scope.applications,
        sameRequest: true,
      });
      expect(error.message).toBe(
        `${winner.scope.applications.join(", ")} ${winner.scope.applications.length > 1 ? "are" : "is"} in run ${winner.id} (failover of ${winner.scope.applications.join(", ")}, requested by ${winner.requestedBy}, pending approval); one run at a time per application: wait for it to end, or abort it`,
      );
      expect(await h.store.listRuns()).toHaveLength(1);
    });
  });

  describe("the last approval, when the plan changed or cannot be computed", () => {
    const failoverWith = (steps: unknown[]) =>
      testRunbook({ name: "failover", approvals: { required: 2 }, phases: [{ name: "main", steps }] });

    it("voids the approvals in the write that would have approved the run, so it never starts", async () => {
      const h = setup({ store: await openStore() });
      const { run } = await request(h);
      await h.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash });
      // The runbook changes between the first and the last approval (someone merged a change).
      h.runbooks.set("failover", failoverWith([effect("scale-up"), effect("switch-dns"), effect("extra")]));
      const outcome = await h.service.approve({ actor: "U0A2", runId: run.id, planHash: run.plan.hash });
      expect(outcome.started).toBe(false);
      expect(outcome.run).toMatchObject({ state: "pending_approval", approvals: [] });
      expect(outcome.run.plan.hash).not.toBe(run.plan.hash);
      expect(outcome.run.stateReason).toContain("approvals voided");
      const events = await h.store.readEvents(run.id);
      // The run was never approved, not even for an instant a supervisor could see.
      expect(events.filter((e) => e.data.state === "approved")).toEqual([]);
      expect(events.at(-1)).toMatchObject({
        type: "run.state",
        actor: "U0A2",
        data: { state: "pending_approval", reason: "plan drift", voided: ["U0A1"] },
      });
      expect((await h.service.supervise()).driven).toEqual([]);
      expect(h.ledger.entries).toEqual([]);
      // The new plan is approved like any other.
      const fresh = outcome.run.plan.hash;
      await h.service.approve({ actor: "U0A1", runId: run.id, planHash: fresh });
      expect((await h.service.approve({ actor: "U0A2", runId: run.id, planHash: fresh })).started).toBe(true);
      await h.waitForState(run.id, ["completed"]);
      expect(h.ledger.entries).toEqual(["scale-up", "switch-dns", "extra"]);
      expect(h.log.lines).toEqual([]);
    });

    it("keeps a request whose plan cannot be computed waiting, with the reason, and tells the approver", async () => {
      const h = setup({ store: await openStore() });
      const { run } = await request(h);
      await h.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash });
      const runbook = h.runbooks.get("failover")!;
      h.runbooks.delete("failover");
      await expect(
        h.service.approve({ actor: "U0A2", runId: run.id, planHash: run.plan.hash }),
      ).rejects.toMatchObject({ code: "plan_unavailable" });
      const waiting = (await h.store.getRun(run.id))!;
      expect(waiting.state).toBe("pending_approval");
      expect(waiting.approvals.map((a) => a.userId)).toEqual(["U0A1"]);
      expect(waiting.stateReason).toContain('no runbook named "failover"');
      const refusals = (await h.store.readEvents(run.id)).filter((e) => e.type === "run.refusal");
      expect(refusals.map((e) => [e.actor, e.data.code])).toEqual([["U0A2", "plan_unavailable"]]);
      expect((await h.service.supervise()).driven).toEqual([]);
      expect(h.ledger.entries).toEqual([]);
      // Once the runbook is back, the same approval goes through.
      h.runbooks.set("failover", runbook);
      expect(
        (await h.service.approve({ actor: "U0A2", runId: run.id, planHash: run.plan.hash })).started,
      ).toBe(true);
      await h.waitForState(run.id, ["completed"]);
    });
  });

  describe("when the executing process dies, the supervisor of another takes the run over by itself", () => {
    const LEASE_TTL_MS = 600;

    it("completes a running run whose owner died just after a step's effect, each effect once", async () => {
      const store = await openStore();
      const ledger = new Ledger();
      const victimView = mortalStore(store);
      const steps = [effect("scale-up"), crashable("switch-dns"), effect("verify")];
      const common = { ledger, steps, leaseTtlMs: LEASE_TTL_MS };
      const victim = setup({
        ...common,
        store: victimView.store,
        ownerId: "victim",
        extraKinds: [
          crashingStepKind(ledger, { crash: { key: "switch-dns", at: "after_effect", die: victimView.die } }),
        ],
      });
      const survivor = setup({
        ...common,
        store,
        ownerId: "survivor",
        extraKinds: [crashingStepKind(ledger)],
      });

      const { run } = await request(victim);
      await victim.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash });
      expect(
        (await victim.service.approve({ actor: "U0A2", runId: run.id, planHash: run.plan.hash })).started,
      ).toBe(true);
      await waitFor(() => victimView.dead, { description: "the victim to die inside switch-dns" });
      expect((await store.getRun(run.id))!.state).toBe("running");

      const driven = await superviseUntil(survivor, run.id, "completed");
      expect(driven).toContain(run.id);
      expect(ledger.entries).toEqual(["scale-up", "switch-dns", "verify"]);
      const records = await store.getSteps(run.id);
      expect(records.get("switch-dns")).toMatchObject({
        status: "succeeded",
        attempts: 1,
        resolvedBy: "observed",
      });
      const events = await store.readEvents(run.id);
      expect(events.find((e) => e.type === "run.takeover")).toMatchObject({
        actor: "engine:survivor",
        data: { state: "interrupted", inFlight: ["switch-dns"] },
      });
      expect(events.filter((e) => e.type === "run.state" && e.data.state === "completed")).toEqual([
        expect.objectContaining({ actor: "engine:survivor" }),
      ]);
      // The survivor released the scope when the run ended: the next request for it gets through.
      expect((await request(survivor)).run.id).not.toBe(run.id);
    });

    it("starts an approved run whose owner died right after claiming it, each effect once", async () => {
      const store = await openStore();
      const ledger = new Ledger();
      const victimView = mortalStore(store, { dieAfter: "claimLease" });
      const victim = setup({ store: victimView.store, ownerId: "victim", leaseTtlMs: LEASE_TTL_MS, ledger });
      const survivor = setup({ store, ownerId: "survivor", leaseTtlMs: LEASE_TTL_MS, ledger });

      const { run } = await request(victim);
      await victim.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash });
      await victim.service.approve({ actor: "U0A2", runId: run.id, planHash: run.plan.hash });
      await waitFor(() => victimView.dead, { description: "the victim to die holding the lease" });
      expect((await store.getRun(run.id))!.state).toBe("approved");

      const driven = await superviseUntil(survivor, run.id, "completed");
      expect(driven).toContain(run.id);
      expect(ledger.entries).toEqual(["scale-up", "switch-dns"]);
      const events = await store.readEvents(run.id);
      expect(events.filter((e) => e.actor.startsWith("engine:victim"))).toEqual([]);
      expect(
        events.filter((e) => e.type === "run.state" && e.data.state === "running").map((e) => e.actor),
      ).toEqual(["engine:survivor"]);
    });
  });
});

describe("a failover that would lose more data than the tier's RPO", () => {
  const lagging = (exposureMs: number | undefined) => async (): Promise<RpoReading[]> => [
    { source: "pg", kind: "postgres", exposureMs, at: Date.now(), detail: "replication lag" },
  ];

  it("records the risk on the request and refuses approvals that do not accept it", async () => {
    const h = setup({ readRpo: lagging(3_600_000) });
    const { run } = await request(h);
    expect(run.rpoRisk).toMatchObject({
      exposureMs: 3_600_000,
      targetMs: 900_000,
      tier: "tier1",
      source: "pg",
    });
    await expect(
      h.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash }),
    ).rejects.toMatchObject({ code: "data_loss_not_accepted" });
    const refusals = (await h.store.readEvents(run.id)).filter((e) => e.type === "run.refusal");
    expect(refusals.map((e) => [e.actor, e.data.code])).toEqual([["U0A1", "data_loss_not_accepted"]]);
    const after = await h.service.approve({
      actor: "U0A1",
      runId: run.id,
      planHash: run.plan.hash,
      acceptsDataLoss: true,
    });
    expect(after.run.approvals).toEqual([
      expect.objectContaining({ userId: "U0A1", acceptedDataLoss: true }),
    ]);
  });

  it("treats a reading that fails altogether as unknown, which must be accepted, never as no risk", async () => {
    const h = setup({ readRpo: async () => Promise.reject(new Error("every source timed out")) });
    const { run } = await request(h);
    expect(run.rpoRisk).toMatchObject({ tier: "tier1", targetMs: 900_000 });
    expect(run.rpoRisk?.unknown.join(" ")).toContain("every source timed out");
    await expect(
      h.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash }),
    ).rejects.toMatchObject({ code: "data_loss_not_accepted" });
  });

  it("reads the exposure again at the last approval: worse than accepted voids the approvals and asks again", async () => {
    let exposureMs: number | undefined = 3_600_000;
    const h = setup({ required: 2, readRpo: async () => lagging(exposureMs)() });
    const { run } = await request(h);
    await h.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash, acceptsDataLoss: true });
    // The replica fell further behind (an older recovery point) before the second approver clicked.
    exposureMs = 3 * 3_600_000;
    const { run: voided, started } = await h.service.approve({
      actor: "U0A2",
      runId: run.id,
      planHash: run.plan.hash,
      acceptsDataLoss: true,
    });
    expect(started).toBe(false);
    expect(voided.state).toBe("pending_approval");
    expect(voided.approvals).toEqual([]);
    expect(voided.stateReason).toContain("approvals voided: the data at risk changed");
    expect(voided.rpoRisk?.exposureMs).toBe(3 * 3_600_000);
    // The new reading is what approvers accept now: both approve it again and the run starts.
    for (const actor of ["U0A1", "U0A2"])
      await h.service.approve({ actor, runId: run.id, planHash: run.plan.hash, acceptsDataLoss: true });
    expect((await h.waitForState(run.id, ["completed"])).approvals.map((a) => a.userId)).toEqual([
      "U0A1",
      "U0A2",
    ]);
  });

  it("voids the approvals when the exposure becomes unknown by the last approval", async () => {
    let exposureMs: number | undefined = 3_600_000;
    const h = setup({ required: 2, readRpo: async () => lagging(exposureMs)() });
    const { run } = await request(h);
    await h.service.approve({ actor: "U0A1", runId: run.id, planHash: run.plan.hash, acceptsDataLoss: true });
    exposureMs = undefined;
    const { run: voided } = await h.service.approve({
      actor: "U0A2",
      runId: run.id,
      planHash: run.plan.hash,
      acceptsDataLoss: true,
    });
    expect(voided.approvals).toEqual([]);
    expect(voided.stateReason).toContain("can no longer be measured");
  });

  it("treats an unreadable source as the worst case that must be accepted", async () => {
    const h = setup({ readRpo: lagging(undefined) });
    const { run } = await request(h);
    expect(run.rpoRisk).toMatchObject({ unknown: ["pg"], targetMs: 900_000 });
    expect(run.rpoRisk?.exposureMs).toBeUndefined();
  });

  it("asks nothing extra when the exposure is within the RPO", async () => {
    const h = setup({ readRpo: lagging(60_000) });
    const { run } = await request(h);
    expect(run.rpoRisk).toBeUndefined();
    const { run: approved } = await h.service.approve({
      actor: "U0A1",
      runId: run.id,
      planHash: run.plan.hash,
    });
    expect(approved.approvals).toHaveLength(1);
  });
});

describe("restore points on a failover request", () => {
  it("keeps the five newest backups per schedule that approvers saw, or why there are none", async () => {
    const backups = Array.from({ length: 7 }, (_, i) => ({
      name: `daily-${i}`,
      phase: "Completed",
      dataAt: 1_000_000 - i * 1000,
      good: true,
      warnings: 0,
      errors: 0,
    }));
    const h = setup({
      restorePoints: async () => [
        { source: "velero", schedule: "daily", site: "dc2", installed: true, backups },
        {
          source: "velero-b",
          schedule: "hourly",
          site: "dc2",
          installed: false,
          detail: "Velero is not installed on dc2",
        },
      ],
    });
    const { run } = await request(h);
    expect(run.restorePoints).toEqual([
      {
        source: "velero",
        schedule: "daily",
        backups: backups.slice(0, 5).map(({ name, dataAt, phase, good }) => ({ name, dataAt, phase, good })),
      },
      { source: "velero-b", schedule: "hourly", detail: "Velero is not installed on dc2", backups: [] },
    ]);
  });
});
