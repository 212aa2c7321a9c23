import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { RedisRunStore } from "../../src/adapters/redis/redis-run-store.js";
import { runCli } from "../../src/cli/main.js";
import { parseEnvironment } from "../../src/config/environment.js";
import { dataLossKey } from "../../src/domain/data-loss.js";
import { formatClaim } from "../../src/domain/evidence/signed-claim.js";
import type { RunEvent, RunRecord } from "../../src/domain/run.js";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";
import { createRuntime } from "../../src/runtime/create-runtime.js";
import { testConfig, testRunbook } from "../support/config-fixture.js";
import { effect } from "../support/engine-harness.js";
import { testSigners, withTestKeys } from "../support/proven-service.js";
import { freePort, type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";
import { type ServeProcess, startServeProcess } from "../support/serve-process.js";
import {
  type DeliveryRecorder,
  INCIDENT,
  recordDeliveries,
  type SlackHarness,
  startSlackHarness,
} from "../support/slack-harness.js";
import { type KeyPair, keyDirectory, makeKeyPair, sshSign } from "../support/ssh-keys.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Every way one person with ordinary access might make a production failover execute alone, each
 * refused and audited, and the legitimate paths beside them: in Slack (the real Bolt against the
 * emulator, which signs requests as Slack does), on the CLI (keys and signatures made by the real
 * ssh-keygen), and straight in a real Redis (what someone who can write drbot's store could do).
 * The engine checks each run's proofs before it starts it and before every step, as the runtime
 * wires it.
 */

let redis: RedisServer;
let prefixes = 0;
const openStore = (): Promise<RedisRunStore> => openTestRedisStore(redis.url, `attack${++prefixes}:`);

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

/** A real failover of two steps (the second a checklist someone other than the requester must tick). */
const failover = testRunbook({
  name: "failover",
  approvals: { required: 2 },
  phases: [
    {
      name: "main",
      steps: [
        effect("scale-up"),
        {
          id: "fenced",
          title: "DC1 fenced",
          kind: "checklist",
          with: { items: ["DC1 is powered off"], requireOtherThanRequester: true },
        },
        { id: "gate", title: "Go on", kind: "approval" },
        effect("switch-dns"),
      ],
    },
  ],
});

const refusalsIn = (events: readonly RunEvent[], actor: string) =>
  events.filter((e) => e.type === "run.refusal" && e.actor === actor).map((e) => e.data);

describe("in Slack", () => {
  let h: SlackHarness | undefined;
  let recorder: DeliveryRecorder | undefined;
  afterEach(async () => {
    await recorder?.stop();
    recorder = undefined;
    await h?.stop();
    h = undefined;
  });

  async function requested(): Promise<{ h: SlackHarness; runId: string; cardTs: string }> {
    h = await startSlackHarness({ runbooks: [failover], store: await openStore(), checkEvidence: true });
    await h.dr("U0ONCALL", 'failover payments --reason "DC1 unreachable"');
    expect(await h.lastEphemeral("U0ONCALL", 0)).toMatch(/^Requested `failover-/);
    const card = await h.findMessage("Failover requested");
    const runId = (await h.store.listRuns())[0]!.id;
    return { h, runId, cardTs: card.ts };
  }

  it("refuses the requester's own Approve click, audited in the run's trail", async () => {
    const { h, runId, cardTs } = await requested();
    const seen = h.ephemeralCount("U0ONCALL");
    await h.click("U0ONCALL", INCIDENT, cardTs, "dr:approve");
    expect(await h.lastEphemeral("U0ONCALL", seen)).toContain("You cannot approve your own request");
    expect((await h.store.getRun(runId))!.approvals).toEqual([]);
    expect(refusalsIn(await h.store.readEvents(runId), "U0ONCALL")).toMatchObject([
      { code: "self_approval" },
    ]);
  });

  it("counts a second Approve by the same approver once, and says so", async () => {
    const { h, runId, cardTs } = await requested();
    const before = h.ephemeralCount("U0A1");
    await h.click("U0A1", INCIDENT, cardTs, "dr:approve");
    expect(await h.lastEphemeral("U0A1", before)).toBe("Approved (1/2).");
    const seen = h.ephemeralCount("U0A1");
    await h.click("U0A1", INCIDENT, cardTs, "dr:approve");
    expect(await h.lastEphemeral("U0A1", seen)).toContain("you already approved this run");
    const run = (await h.store.getRun(runId))!;
    expect(run.state).toBe("pending_approval");
    expect(run.approvals.map((a) => a.userId)).toEqual(["U0A1"]);
    expect(refusalsIn(await h.store.readEvents(runId), "U0A1")).toMatchObject([{ code: "already_approved" }]);
  });

  it("refuses skipping a step of a run still waiting for its approvals", async () => {
    const { h, runId } = await requested();
    const seen = h.ephemeralCount("U0A1");
    await h.dr("U0A1", `skip ${runId} scale-up --reason "in a hurry"`);
    expect(await h.lastEphemeral("U0A1", seen)).toContain("steps are skipped only in a running run");
    expect((await h.store.getSteps(runId)).get("scale-up")!.status).toBe("not_started");
    expect(refusalsIn(await h.store.readEvents(runId), "U0A1")).toMatchObject([{ code: "invalid_state" }]);
  });

  it("refuses a replayed Approve click and the same click under a mangled signature (401), changing nothing", async () => {
    const { h, runId, cardTs } = await requested();
    recorder = await recordDeliveries(h.emulator);
    await h.click("U0A1", INCIDENT, cardTs, "dr:approve");
    await waitFor(async () => (await h.store.getRun(runId))!.approvals.length === 1, {
      description: "the approval",
    });
    const captured = recorder.captured.at(-1)!;
    expect(await recorder.resend(captured)).toBe(401);
    const signature = captured.headers["x-slack-signature"]!;
    expect(await recorder.resend(captured, { "x-slack-signature": `${signature}=x` })).toBe(401);
    expect(await recorder.resend(captured, { "x-slack-signature": `${signature}0` })).toBe(401);
    expect((await h.store.getRun(runId))!.approvals).toHaveLength(1);
  });

  it("holds the run at a gate and a second-person checklist: the requester can neither tick nor skip past them, nor resume", async () => {
    const { h, runId, cardTs } = await requested();
    await h.click("U0A1", INCIDENT, cardTs, "dr:approve");
    await h.click("U0A2", INCIDENT, cardTs, "dr:approve");
    await waitFor(async () => (await h.store.getRun(runId))!.state === "waiting_manual", {
      description: "the run to wait at the checklist",
    });
    const answer = async (user: string, text: string) => {
      const seen = h.ephemeralCount(user);
      await h.dr(user, text);
      return h.lastEphemeral(user, seen);
    };
    // Tick of a checklist that needs a second pair of eyes, by the requester (as the click would do).
    await expect(
      h.service.tick({ actor: "U0ONCALL", runId, stepId: "fenced", item: "DC1 is powered off" }),
    ).rejects.toMatchObject({ code: "unproven" });
    const progress = await h.findMessage(`Failover ${runId}`);
    const seenTick = h.ephemeralCount("U0ONCALL");
    await h.click("U0ONCALL", INCIDENT, progress.ts, "dr:tick");
    expect(await h.lastEphemeral("U0ONCALL", seenTick)).toContain("must be ticked by someone else");
    expect(await answer("U0A1", `skip ${runId} fenced --reason "it is off"`)).toContain(
      "a checklist someone other than the requester must tick: it cannot be skipped",
    );
    expect(await answer("U0A1", `skip ${runId} gate --reason "no time"`)).toContain(
      "is an approval gate: it is approved, never skipped",
    );
    expect(await answer("U0ONCALL", `resume ${runId}`)).toContain("must resume it");
    const events = await h.store.readEvents(runId);
    expect(refusalsIn(events, "U0ONCALL").map((d) => d.code)).toEqual(
      expect.arrayContaining(["self_approval"]),
    );
    expect(refusalsIn(events, "U0A1").map((d) => d.code)).toEqual(["not_permitted", "not_permitted"]);
    expect(h.ledger.entries).toEqual(["scale-up"]);
  });

  it("lets two people approving in Slack run the failover, each approval keeping Slack's signed click", async () => {
    const { h, runId, cardTs } = await requested();
    await h.click("U0A1", INCIDENT, cardTs, "dr:approve");
    await h.click("U0A2", INCIDENT, cardTs, "dr:approve");
    await waitFor(async () => (await h.store.getRun(runId))!.state === "waiting_manual", {
      description: "the run to reach the checklist",
    });
    const progress = await h.findMessage(`Failover ${runId}`);
    await h.click("U0A3", INCIDENT, progress.ts, "dr:tick");
    await waitFor(
      () => JSON.stringify(h.emulator.message(INCIDENT, progress.ts)?.blocks ?? []).includes('"dr:gate"'),
      { description: "the gate's button on the progress message" },
    );
    const gated = progress;
    await h.click("U0A1", INCIDENT, gated.ts, "dr:gate");
    await waitFor(async () => (await h.store.getRun(runId))!.state === "completed", {
      description: "the run to complete",
    });
    const run = (await h.store.getRun(runId))!;
    expect(run.requestProof).toMatchObject({ via: "slack" });
    expect(run.approvals.map((a) => [a.userId, a.proof?.via])).toEqual([
      ["U0A1", "slack"],
      ["U0A2", "slack"],
    ]);
    expect(h.ledger.entries).toEqual(["scale-up", "switch-dns"]);
  });

  it("lets one approver in Slack and one signing with their SSH key run the failover together", async () => {
    h = await startSlackHarness({
      runbooks: [failover],
      store: await openStore(),
      checkEvidence: true,
      config: withTestKeys(testConfig()),
    });
    await h.dr("U0ONCALL", 'failover payments --reason "DC1 unreachable"');
    const card = await h.findMessage("Failover requested");
    const run = (await h.store.listRuns())[0]!;
    await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
    await waitFor(async () => (await h!.store.getRun(run.id))!.approvals.length === 1, {
      description: "the Slack approval",
    });
    // The second approver is away from Slack: they sign the approval with their own key (SSHSIG).
    const signer = testSigners().get("U0A2")!;
    await h.service.approve({
      actor: "U0A2",
      runId: run.id,
      planHash: run.plan.hash,
      witness: { sign: async (message) => signer.sign(message) },
    });
    await waitFor(async () => (await h!.store.getRun(run.id))!.state === "waiting_manual", {
      description: "the run to start and reach its checklist",
    });
    const started = (await h.store.getRun(run.id))!;
    expect(started.approvals.map((a) => [a.userId, a.proof?.via])).toEqual([
      ["U0A1", "slack"],
      ["U0A2", "ssh"],
    ]);
    expect(h.ledger.entries).toEqual(["scale-up"]);
  });

  it("never executes a run written straight into Redis as approved: it is aborted and announced as tampering", async () => {
    const { h, runId } = await requested();
    // Someone who can write drbot's store copies a genuine request and marks it approved.
    const genuine = (await h.store.getRun(runId))!;
    const injectedId = `${runId}-x`;
    const injected: RunRecord = {
      ...genuine,
      id: injectedId,
      state: "approved",
      scopeKey: "injected",
      version: 1,
    };
    await h.store.createRun(injected, [...(await h.store.getSteps(runId)).values()], {
      type: "run.requested",
      at: Date.now(),
      actor: "U0ONCALL",
      runId: injectedId,
      data: {},
    });
    expect(await h.engine.drive(injectedId)).toMatchObject({
      driven: false,
      reason: "refused",
      state: "aborted",
    });
    const refused = (await h.store.getRun(injectedId))!;
    expect(refused.stateReason).toBe(
      "refused, tampering: it holds 0 approval(s) of the 2 it needs, yet says it is approved",
    );
    expect((await h.store.readEvents(injectedId)).at(-1)).toMatchObject({
      type: "run.state",
      data: { state: "aborted", refused: "tampered" },
    });
    expect(h.ledger.entries).toEqual([]);
    await waitFor(
      () =>
        h.emulator
          .messages(INCIDENT)
          .some((m) => m.text.includes("*Tampering*") && m.text.includes(injectedId)),
      { description: "the tampering announced in the incident channel" },
    );
  });

  it("stops a run whose step was changed in Redis after its approval before that step runs, and announces it", async () => {
    const { h, runId, cardTs } = await requested();
    await h.click("U0A1", INCIDENT, cardTs, "dr:approve");
    await h.click("U0A2", INCIDENT, cardTs, "dr:approve");
    await waitFor(async () => (await h.store.getRun(runId))!.state === "waiting_manual", {
      description: "the run to wait at the checklist",
    });
    const approved = (await h.store.getRun(runId))!;
    const steps = approved.plan.steps.map((s) =>
      s.id === "switch-dns" ? { ...s, params: { ...s.params, key: "something-else" } } : s,
    );
    expect(
      await h.store.updateRun(
        { ...approved, plan: { ...approved.plan, steps }, version: approved.version + 1 },
        approved.version,
      ),
    ).toBe(true);
    const progress = await h.findMessage(`Failover ${runId}`);
    await h.click("U0A3", INCIDENT, progress.ts, "dr:tick");
    await waitFor(async () => (await h.store.getRun(runId))!.state === "aborted", {
      description: "the run to be refused",
    });
    expect((await h.store.getRun(runId))!.stateReason).toContain(
      "its plan does not match its hash: a step was changed after the plan was made",
    );
    expect(h.ledger.entries).toEqual(["scale-up"]);
    await waitFor(
      () =>
        h.emulator.messages(INCIDENT).some((m) => m.text.includes("*Tampering*") && m.text.includes(runId)),
      { description: "the tampering announced in the incident channel" },
    );
  });
});

describe("on the CLI, with keys made by ssh-keygen", () => {
  const PEOPLE = ["U0ONCALL1", "U0ONCALL2", "U0APPROVER1", "U0APPROVER2"] as const;
  const keys = new Map<string, KeyPair>();
  let dir = "";
  let removeKeys: () => Promise<void> = async () => {};
  let env: NodeJS.ProcessEnv = {};
  let runbooks = "";

  beforeAll(async () => {
    const made = await keyDirectory();
    dir = made.dir;
    removeKeys = made.cleanup;
    for (const person of PEOPLE) keys.set(person, await makeKeyPair(dir, person));
    runbooks = await mkdtemp(join(tmpdir(), "drbot-attack-runbooks-"));
    await writeFile(
      join(runbooks, "failover.yaml"),
      stringify({
        name: "failover",
        title: "CLI failover",
        kind: "failover",
        phases: [
          {
            name: "activate",
            steps: [
              {
                id: "echo",
                title: "Echo",
                kind: "shell",
                with: { command: "printf", args: ["done"], idempotent: true },
                timeout: "10s",
              },
            ],
          },
        ],
      }),
    );
    const config = parse(await readFile("drbot.example.yaml", "utf8"));
    config.approvals.keys = Object.fromEntries(PEOPLE.map((p) => [p, [keys.get(p)!.publicLine]]));
    await writeFile(join(dir, "drbot.yaml"), stringify(config));
    env = {
      ...process.env,
      DRBOT_CONFIG: join(dir, "drbot.yaml"),
      DRBOT_RUNBOOKS: runbooks,
      REDIS_URL: redis.url,
    };
  });
  afterAll(async () => {
    await removeKeys();
    await rm(runbooks, { recursive: true, force: true });
  });

  async function cli(...argv: string[]) {
    let out = "";
    let err = "";
    const code = await runCli(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env });
    // biome-ignore lint/suspicious/noExplicitAny: the CLI's --json output is asserted field by field
    return { code, out, err, json: (): any => JSON.parse(out) };
  }
  const key = (person: string) => keys.get(person)!.privatePath;

  async function requestAs(app: string, ...extra: string[]): Promise<{ runId: string; hash: string }> {
    const r = await cli(
      "run",
      "failover",
      app,
      "--yes",
      ...extra,
      "--reason",
      "DC1 down",
      "--as",
      "U0ONCALL1",
      "--key",
      key("U0ONCALL1"),
      "--json",
    );
    expect(r.code, r.err).toBe(0);
    return { runId: r.json().id, hash: r.json().plan.hash };
  }
  const audit = async () => {
    const store = await openTestRedisStore(redis.url, "drbot:");
    try {
      return await store.readAudit();
    } finally {
      await store.close();
    }
  };
  const events = async (runId: string) =>
    JSON.parse((await cli("show", runId, "--json")).out).events as RunEvent[];

  it("refuses --as for someone else: without a key, and with the actor's own key (exit 1), audited with the key's fingerprint", async () => {
    const unsigned = await cli("run", "failover", "payments", "--yes", "--reason", "x", "--as", "U0ONCALL1");
    expect(unsigned.code).toBe(1);
    expect(unsigned.err).toContain("Not proven");
    expect(await audit()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actor: "U0ONCALL1",
          data: expect.objectContaining({ code: "unproven", claimedUser: "U0ONCALL1" }),
        }),
      ]),
    );

    const { runId, hash } = await requestAs("batch-jobs");
    // The on-call engineer's own key, three times: as themselves, and as each approver.
    const self = await cli(
      "approve",
      runId,
      "--plan",
      hash,
      "--accept-data-loss",
      "--as",
      "U0ONCALL1",
      "--key",
      key("U0ONCALL1"),
    );
    expect(self.code).toBe(1);
    expect(self.err).toContain("You cannot approve your own request");
    for (const approver of ["U0APPROVER1", "U0APPROVER2"]) {
      const forged = await cli(
        "approve",
        runId,
        "--plan",
        hash,
        "--accept-data-loss",
        "--as",
        approver,
        "--key",
        key("U0ONCALL1"),
      );
      expect(forged.code, forged.err).toBe(1);
      expect(forged.err).toContain("Not proven");
    }
    const shown = await cli("show", runId, "--json");
    expect(shown.json().run).toMatchObject({ state: "pending_approval", approvals: [] });
    const refusals = (await events(runId)).filter((e) => e.type === "run.refusal");
    expect(refusals.map((e) => [e.actor, e.data.code])).toEqual([
      ["U0ONCALL1", "self_approval"],
      ["U0APPROVER1", "unproven"],
      ["U0APPROVER2", "unproven"],
    ]);
    expect(refusals[1]!.data).toMatchObject({
      claimedUser: "U0APPROVER1",
      fingerprint: keys.get("U0ONCALL1")!.fingerprint,
    });
    expect((await cli("reject", runId, "--as", "U0ONCALL1", "--key", key("U0ONCALL1"))).code).toBe(0);
  });

  it("refuses a signature replayed, made for another run, or older than the approval expiry, audited with the key", async () => {
    const first = await requestAs("core-api");
    const second = await requestAs("batch-jobs");
    const rt = await createRuntime({
      configPath: join(dir, "drbot.yaml"),
      runbooksDir: runbooks,
      env: parseEnvironment(env),
      autoStart: false,
    });
    try {
      const run = (await rt.store.getRun(first.runId))!;
      const signed = async (at: number, runId = run.id) => {
        const message = formatClaim({
          userId: "U0APPROVER1",
          action: "approve",
          runId,
          planHash: run.plan.hash,
          at,
          nonce: randomBytes(16).toString("hex"),
          details: { "accepts-data-loss": dataLossKey(run.rpoRisk!) },
        });
        return {
          proof: { via: "ssh" as const, message, signature: await sshSign(key("U0APPROVER1"), message) },
        };
      };
      const approve = (runId: string, witness: Awaited<ReturnType<typeof signed>>) =>
        rt.service.approve({
          actor: "U0APPROVER1",
          runId,
          planHash: run.plan.hash,
          acceptsDataLoss: true,
          witness,
        });
      const old = await signed(Date.now() - 2 * 3_600_000);
      await expect(approve(run.id, old)).rejects.toThrow("the signature is older than the approval expiry");
      const elsewhere = await signed(Date.now(), second.runId);
      await expect(approve(run.id, elsewhere)).rejects.toThrow(
        `the signature is for run ${second.runId}, not ${run.id}`,
      );
      const good = await signed(Date.now());
      expect((await approve(run.id, good)).run.approvals.map((a) => a.userId)).toEqual(["U0APPROVER1"]);
      // The same signature again, on the run it was made for: seen before.
      await expect(approve(run.id, good)).rejects.toThrow("the signature was used before (a replay)");
      const refusals = (await rt.store.readEvents(run.id)).filter((e) => e.type === "run.refusal");
      expect(refusals.map((e) => e.data.code)).toEqual(["unproven", "unproven", "unproven"]);
      for (const refusal of refusals)
        expect(refusal.data).toMatchObject({
          claimedUser: "U0APPROVER1",
          fingerprint: keys.get("U0APPROVER1")!.fingerprint,
        });
    } finally {
      await rt.close();
    }
    for (const runId of [first.runId, second.runId])
      expect((await cli("reject", runId, "--as", "U0ONCALL1", "--key", key("U0ONCALL1"))).code).toBe(0);
  });

  it("refuses a configuration with a malformed public key at load, naming its path (exit 3)", async () => {
    const config = parse(await readFile(join(dir, "drbot.yaml"), "utf8"));
    config.approvals.keys.U0APPROVER1 = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJunk approver1"];
    await writeFile(join(dir, "bad-key.yaml"), stringify(config));
    const validate = await cli("--config", join(dir, "bad-key.yaml"), "validate");
    expect(validate.code).toBe(3);
    expect(validate.err).toContain("approvals.keys.U0APPROVER1");
    const approve = await cli("--config", join(dir, "bad-key.yaml"), "runs");
    expect(approve.code).toBe(3);
  });

  it("lets two people signing with their own keys run the failover, each signature kept with the approval", async () => {
    const { runId, hash } = await requestAs("payments");
    for (const approver of ["U0APPROVER1", "U0APPROVER2"]) {
      const approved = await cli(
        "approve",
        runId,
        "--plan",
        hash,
        "--accept-data-loss",
        "--as",
        approver,
        "--key",
        key(approver),
        "--json",
      );
      expect(approved.code, approved.err).toBe(0);
    }
    const shown = (await cli("show", runId, "--json")).json();
    expect(shown.run.state).toBe("completed");
    expect(
      shown.run.approvals.map((a: { userId: string; proof: { via: string } }) => [a.userId, a.proof.via]),
    ).toEqual([
      ["U0APPROVER1", "ssh"],
      ["U0APPROVER2", "ssh"],
    ]);
  });

  it("refuses a run whose approver was removed from the configuration between approval and start", async () => {
    const { runId, hash } = await requestAs("analytics");
    for (const approver of ["U0APPROVER1", "U0APPROVER2"])
      expect(
        (
          await cli(
            "approve",
            runId,
            "--plan",
            hash,
            "--accept-data-loss",
            "--as",
            approver,
            "--key",
            key(approver),
            "--detach",
          )
        ).code,
      ).toBe(0);
    const config = parse(await readFile(join(dir, "drbot.yaml"), "utf8"));
    const failoverApprovers = config.slack.permissions.failover.approvers;
    failoverApprovers.users = failoverApprovers.users.filter((u: string) => u !== "U0APPROVER2");
    await writeFile(join(dir, "removed.yaml"), stringify(config));
    // Whichever executor picks the run up now reads the configuration as it is.
    const rt = await createRuntime({
      configPath: join(dir, "removed.yaml"),
      runbooksDir: runbooks,
      env: parseEnvironment(env),
    });
    try {
      expect(await rt.engine.drive(runId)).toMatchObject({
        driven: false,
        reason: "refused",
        state: "aborted",
      });
      expect((await rt.store.getRun(runId))!.stateReason).toContain(
        "U0APPROVER2 is not an approver of failover runs now",
      );
    } finally {
      await rt.close();
    }
  });
  it("refuses a run approved before approvals.required was raised as not approved enough under the current rule, not as tampering", async () => {
    const { runId, hash } = await requestAs("customer-portal", "--with-shared");
    for (const approver of ["U0APPROVER1", "U0APPROVER2"])
      expect(
        (
          await cli(
            "approve",
            runId,
            "--plan",
            hash,
            "--accept-data-loss",
            "--as",
            approver,
            "--key",
            key(approver),
            "--detach",
          )
        ).code,
      ).toBe(0);
    const config = parse(await readFile(join(dir, "drbot.yaml"), "utf8"));
    config.approvals.required.failover = 3;
    await writeFile(join(dir, "raised.yaml"), stringify(config));
    const rt = await createRuntime({
      configPath: join(dir, "raised.yaml"),
      runbooksDir: runbooks,
      env: parseEnvironment(env),
    });
    try {
      expect(await rt.engine.drive(runId)).toMatchObject({ reason: "refused", state: "aborted" });
      const run = (await rt.store.getRun(runId))!;
      expect(run.stateReason).toBe(
        "refused, not approved as required: not enough approvals under the current rule: it was approved by 2 of the 2 asked for then, and the configuration now asks for 3; request it again",
      );
      expect((await rt.store.readEvents(runId)).at(-1)).toMatchObject({
        type: "run.state",
        data: { state: "aborted", refused: "unapproved" },
      });
    } finally {
      await rt.close();
    }
  });
});

describe("against drbot serve and a real Redis", () => {
  let emulator: SlackEmulator | undefined;
  let serve: ServeProcess | undefined;
  let dir = "";
  afterAll(async () => {
    await serve?.stop();
    await emulator?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("refuses a run approved by writing into Redis, never runs its steps, and announces it in the incident channel", async () => {
    emulator = new SlackEmulator({
      users: [
        { id: "U0ONCALL", name: "oncall" },
        { id: "U0A1", name: "approver" },
      ],
      channels: [{ id: INCIDENT, name: "incident" }],
      usergroups: [],
    });
    await emulator.start();
    const port = await freePort();
    emulator.setRequestUrl(`http://127.0.0.1:${port}/slack/events`);
    dir = await mkdtemp(join(tmpdir(), "drbot-serve-tampering-"));
    const oncall = await makeKeyPair(dir, "oncall");
    const marker = join(dir, "the-step-ran");
    await mkdir(join(dir, "runbooks"));
    await writeFile(
      join(dir, "runbooks", "failover.yaml"),
      stringify({
        name: "failover",
        title: "Failover",
        kind: "failover",
        phases: [
          {
            name: "activate",
            steps: [
              { id: "touch", title: "Touch", kind: "shell", with: { command: "touch", args: [marker] } },
            ],
          },
        ],
      }),
    );
    await writeFile(
      join(dir, "drbot.yaml"),
      stringify({
        sites: [
          { name: "dc1", role: "primary", kubeconfig: { path: join(dir, "none"), context: "dc1" } },
          { name: "dc2", role: "dr", kubeconfig: { path: join(dir, "none"), context: "dc2" } },
        ],
        tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
        applications: [{ name: "payments", tier: "tier1", namespaces: ["production"] }],
        slack: {
          incidentChannels: [INCIDENT],
          permissions: {
            failover: { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1"] } },
          },
        },
        approvals: { required: { failover: 1 }, keys: { U0ONCALL: [oncall.publicLine] } },
        engine: { leaseTtl: "2s" },
      }),
    );
    const files = {
      DRBOT_CONFIG: join(dir, "drbot.yaml"),
      DRBOT_RUNBOOKS: join(dir, "runbooks"),
      REDIS_URL: redis.url,
    };
    // A genuine, signed request: it waits for an approval.
    let out = "";
    let err = "";
    const code = await runCli(
      [
        "run",
        "failover",
        "payments",
        "--yes",
        "--reason",
        "x",
        "--as",
        "U0ONCALL",
        "--key",
        oncall.privatePath,
        "--json",
      ],
      { out: (t) => (out += t), err: (t) => (err += t), env: { ...process.env, ...files } },
    );
    expect(code, err).toBe(0);
    const runId = (JSON.parse(out) as { id: string }).id;
    serve = await startServeProcess(
      {
        ...files,
        SLACK_BOT_TOKEN: emulator.botToken,
        SLACK_SIGNING_SECRET: emulator.signingSecret,
        SLACK_API_URL: emulator.apiUrl,
      },
      { port },
    );

    // Someone who can write drbot's Redis records an approval and marks the run approved.
    const store = await openTestRedisStore(redis.url, "drbot:");
    try {
      const run = (await store.getRun(runId))!;
      const now = Date.now();
      expect(
        await store.updateRun(
          {
            ...run,
            state: "approved",
            approvals: [{ userId: "U0A1", at: now, planHash: run.plan.hash }],
            rto: { ...run.rto, approvedAt: now },
            version: run.version + 1,
          },
          run.version,
        ),
      ).toBe(true);
      await waitFor(async () => (await store.getRun(runId))?.state === "aborted", {
        timeoutMs: 60_000,
        description: `drbot serve to refuse the run; it said:\n${serve.output()}`,
      });
      expect((await store.getRun(runId))!.stateReason).toBe(
        "refused, tampering: the approval by U0A1 carries no proof",
      );
    } finally {
      await store.close();
    }
    const announced = await emulator.waitFor(
      () =>
        emulator!.messages(INCIDENT).find((m) => m.text.includes("*Tampering*") && m.text.includes(runId)),
      { timeoutMs: 30_000, description: "the tampering announced in the incident channel" },
    );
    expect(announced.text).toContain("the approval by U0A1 carries no proof");
    await expect(readFile(marker)).rejects.toThrow(/ENOENT/);
  });
});
