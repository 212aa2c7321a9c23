import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { createPinoLogger } from "../../src/adapters/logging/pino-logger.js";
import type { RedisRunStore } from "../../src/adapters/redis/redis-run-store.js";
import { runCli } from "../../src/cli/main.js";
import { KeyRing } from "../../src/domain/evidence/key-ring.js";
import { type Proof, readProof } from "../../src/domain/evidence/proof.js";
import type { RunRecord } from "../../src/domain/run.js";
import { testRunbook } from "../support/config-fixture.js";
import { effect } from "../support/engine-harness.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";
import { INCIDENT, type SlackHarness, startSlackHarness } from "../support/slack-harness.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The Slack requests drbot keeps as proof hold Slack's response_url (whoever has it may post as the
 * bot for 30 minutes), the trigger_id and the verification token. A run requested and approved in
 * Slack (the real Bolt against the emulator, the run in a real Redis) is read back with drbot's own
 * CLI and written to its log: none of them is printed, while the stored proofs still verify.
 */

let redis: RedisServer;
let store: RedisRunStore;
let h: SlackHarness;
let runId = "";
let dir = "";
let hidden: string[] = [];

/** The values a kept Slack request must never show: from its form fields and its click payload. */
function hiddenValues(proof: Proof | undefined): string[] {
  if (proof?.via !== "slack") throw new Error("expected a Slack proof");
  const form = new URLSearchParams(proof.request.body);
  const payload = JSON.parse(form.get("payload") ?? "{}") as Record<string, unknown>;
  return [
    form.get("response_url"),
    form.get("trigger_id"),
    form.get("token"),
    payload.response_url,
    payload.trigger_id,
    payload.token,
  ].filter((v): v is string => typeof v === "string" && v.length > 0);
}

beforeAll(async () => {
  redis = await startRedisServer();
  // The shipped example configuration, with a deadline for Redis commands that a loaded test
  // machine cannot miss (the CLI runs in this test's process, beside Bolt and the emulator).
  dir = await mkdtemp(join(tmpdir(), "drbot-shown-proofs-"));
  const config = parse(await readFile("drbot.example.yaml", "utf8"));
  config.redis.commandTimeout = "10s";
  await writeFile(join(dir, "drbot.yaml"), stringify(config));
  store = await openTestRedisStore(redis.url, "drbot:");
  h = await startSlackHarness({
    runbooks: [testRunbook({ name: "failover", phases: [{ name: "main", steps: [effect("scale-up")] }] })],
    store,
  });
  await h.dr("U0ONCALL", 'failover payments --reason "DC1 unreachable"');
  const card = await h.findMessage("Failover requested");
  runId = (await h.store.listRuns())[0]!.id;
  await h.click("U0A1", INCIDENT, card.ts, "dr:approve");
  await waitFor(async () => (await h.store.getRun(runId))!.approvals.length === 1, {
    description: "the first approval",
  });
  const run = (await h.store.getRun(runId))!;
  hidden = [...hiddenValues(run.requestProof), ...hiddenValues(run.approvals[0]!.proof)];
});
afterAll(async () => {
  await h?.stop();
  await store?.close();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<string> {
  let out = "";
  let err = "";
  const env = {
    ...process.env,
    DRBOT_CONFIG: join(dir, "drbot.yaml"),
    DRBOT_RUNBOOKS: "runbooks",
    REDIS_URL: redis.url,
  };
  const code = await runCli(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env });
  expect(code, `${err}${out}`).toBe(0);
  return out;
}

describe("Slack's response_url, trigger_id and token in the proofs drbot keeps", () => {
  it("are in the stored requests, which still verify with the signing secret", async () => {
    // Both requests carry all three (the click's token and response_url, the command's trigger_id too).
    expect(hidden.length).toBeGreaterThanOrEqual(5);
    const keys = { signingSecret: h.emulator.signingSecret, keys: KeyRing.from({}), trustSocketMode: false };
    const run = (await store.getRun(runId))!;
    expect(readProof(run.requestProof!, keys)).toMatchObject({ ok: true, userId: "U0ONCALL" });
    expect(readProof(run.approvals[0]!.proof!, keys)).toMatchObject({ ok: true, userId: "U0A1" });
  });

  it("are not printed by drbot show, runs, status or report, with or without --json", async () => {
    const outputs = {
      "show --json": await cli("show", runId, "--json"),
      show: await cli("show", runId),
      "runs --json": await cli("runs", "--json"),
      "status --json": await cli("status", "--json"),
      "report --json": await cli("report", runId, "--json"),
      report: await cli("report", runId),
    };
    for (const [command, out] of Object.entries(outputs))
      for (const value of hidden) expect(out, `${command} prints ${value}`).not.toContain(value);
    expect(JSON.parse(outputs["status --json"]).activeRuns.map((r: RunRecord) => r.id)).toContain(runId);
    const shown = JSON.parse(outputs["show --json"]) as { run: RunRecord };
    expect(shown.run.approvals[0]!.proof).toMatchObject({ via: "slack" });
    const body = new URLSearchParams(
      (shown.run.requestProof as Extract<Proof, { via: "slack" }>).request.body,
    );
    // A real failover is requested by the confirmation modal's submission: a JSON payload.
    const payload = JSON.parse(body.get("payload")!);
    expect(payload).toMatchObject({ type: "view_submission", trigger_id: "[redacted]", token: "[redacted]" });
    expect(JSON.parse(payload.view.private_metadata)).toMatchObject({
      kind: "failover",
      targets: ["payments"],
      reason: "DC1 unreachable",
    });
  });

  it("are not written to the log, whether a run, a proof or a raw request body is logged", async () => {
    const lines: string[] = [];
    const log = createPinoLogger({ level: "debug", write: (line) => lines.push(line), secrets: () => [] });
    const run = (await store.getRun(runId))!;
    const approval = run.approvals[0]!.proof as Extract<Proof, { via: "slack" }>;
    log.info("a run", { operation: "test", run });
    log.info("a proof", { operation: "test", proof: approval });
    log.warn(`a request body: ${approval.request.body}`, { operation: "test" });
    expect(lines).toHaveLength(3);
    for (const value of hidden) expect(lines.join("\n")).not.toContain(value);
  });
});
