import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";
import { parseExposition } from "../support/prometheus-text.js";
import { freePort, type RedisServer, startRedisServer } from "../support/redis-server.js";
import { type ServeProcess, startServeProcess } from "../support/serve-process.js";
import { readTimelinePicture } from "../support/svg-picture.js";
import { waitFor } from "../support/wait-for.js";

/**
 * `drbot serve` as it runs in production, in its own process: real Redis, Slack (the emulator,
 * reached through the real Bolt and WebClient), told it runs in a pod of the primary site. A drill is
 * requested and approved in Slack while Slack refuses one call and rate-limits another; then
 * /metrics is scraped and read as Prometheus would, /readyz follows Redis, /dr status warns about
 * where drbot runs, and the drill's report lands in the channel as files.
 */
const INCIDENT = "C0INCIDENT";
const DRILL = `
name: drill
title: Metrics drill
kind: drill
phases:
  - name: prepare
    steps:
      - { id: settle, title: Settle, kind: wait, with: { duration: 300ms } }
  - name: validate
    rtoPhase: validation
    steps:
      - { id: settle-again, title: Settle again, kind: wait, with: { duration: 200ms } }
`;

let redis: RedisServer;
let emulator: SlackEmulator;
let serve: ServeProcess;
const get = (path: string) => serve.get(path);

/** The run id a report message names. */
function json(message: { text: string }): { runId: string } {
  return { runId: /The report of (\S+):/.exec(message.text)?.[1] ?? "" };
}

async function scrape() {
  const res = await get("/metrics");
  expect(res.status).toBe(200);
  return parseExposition(res.body);
}

beforeAll(async () => {
  redis = await startRedisServer();
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
  const dir = await mkdtemp(join(tmpdir(), "drbot-serve-metrics-"));
  await mkdir(join(dir, "runbooks"));
  await writeFile(join(dir, "runbooks", "drill.yaml"), DRILL);
  const kubeconfig = { path: join(dir, "no-such.kubeconfig") };
  await writeFile(
    join(dir, "drbot.yaml"),
    stringify({
      sites: [
        { name: "dc1", role: "primary", kubeconfig: { ...kubeconfig, context: "dc1" }, requestTimeout: "1s" },
        { name: "dc2", role: "dr", kubeconfig: { ...kubeconfig, context: "dc2" }, requestTimeout: "1s" },
      ],
      tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
      applications: [
        {
          name: "payments",
          tier: "tier1",
          namespaces: ["production"],
          workloads: [{ namespace: "production", name: "payments-api", replicas: 3 }],
          dataSources: ["pg"],
        },
      ],
      dataSources: [
        {
          name: "pg",
          kind: "postgres",
          primary: { host: "127.0.0.1", user: "drbot" },
          replica: { host: "127.0.0.1", user: "drbot" },
        },
      ],
      slack: {
        incidentChannels: [INCIDENT],
        permissions: { drill: { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1"] } } },
      },
      engine: { leaseTtl: "2s" },
    }),
  );
  serve = await startServeProcess(
    {
      DRBOT_CONFIG: join(dir, "drbot.yaml"),
      DRBOT_RUNBOOKS: join(dir, "runbooks"),
      REDIS_URL: redis.url,
      SLACK_BOT_TOKEN: emulator.botToken,
      SLACK_SIGNING_SECRET: emulator.signingSecret,
      SLACK_API_URL: emulator.apiUrl,
      // As a pod of the primary cluster would see it.
      KUBERNETES_SERVICE_HOST: "10.96.0.1",
      DRBOT_SITE: "dc1",
    },
    { port },
  );
}, 90_000);

afterAll(async () => {
  await serve?.stop();
  await emulator?.stop();
  await redis?.stop();
});

describe("drbot serve", () => {
  it("answers probes and Prometheus on the management port only; the Slack port serves /slack/events alone", async () => {
    expect(serve.managementPort).not.toBe(serve.port);
    expect((await get("/healthz")).status).toBe(200);
    for (const path of ["/healthz", "/readyz", "/metrics"])
      expect((await serve.getOnSlackPort(path)).status).toBe(404);
    expect((await get("/slack/events")).status).toBe(404);
    const refused = await fetch(`${serve.managementUrl}/metrics`, { method: "POST" });
    expect(refused.status).toBe(405);
  });

  it("is ready when Redis answers and says what it checked", async () => {
    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toContain("redis: ok");
    expect(ready.body).toContain("config: ok (2 sites, 1 applications, 1 runbooks)");
    expect(ready.body).toContain("supervisor: ok");
  });

  it("warns in /dr status that it runs in the primary site", async () => {
    await emulator.sendSlashCommand({ userId: "U0ONCALL", channelId: INCIDENT, text: "status" });
    const status = await emulator.waitForEphemeral("U0ONCALL", (e) => e.text.includes("*drbot status*"), {
      timeoutMs: 15_000,
    });
    expect(status.text).toContain(
      "drbot runs in the primary site dc1 (detected in-cluster): if dc1 goes down, drbot goes with it",
    );
    expect(status.text).toContain("*drbot runs in*: dc1 (detected in-cluster); Redis: unknown");
  });

  it("counts a drill's steps, its approval wait and Slack's refusals, and posts its report", async () => {
    await emulator.sendSlashCommand({ userId: "U0ONCALL", channelId: INCIDENT, text: "drill payments" });
    const card = await emulator.waitForMessage(INCIDENT, "DR drill requested", { timeoutMs: 15_000 });
    // The progress message's post is rate limited once; the card's first edit is refused by the platform.
    emulator.rateLimit("chat.postMessage", { nextCalls: 1, retryAfterSec: 1 });
    emulator.failNext("chat.update", { error: "message_not_found" });
    await emulator.sendBlockAction({
      userId: "U0A1",
      channelId: INCIDENT,
      messageTs: card.ts,
      actionId: "dr:approve",
    });
    const posted = await emulator
      .waitFor(() => emulator.messages(INCIDENT).find((m) => m.fileIds.length === 3), {
        timeoutMs: 30_000,
        description: "the drill's report with its files",
      })
      .catch((error: Error) => {
        const texts = emulator.messages(INCIDENT).map((m) => m.text);
        throw new Error(
          `${error.message}; messages: ${JSON.stringify(texts)}; serve said:\n${serve.output()}`,
        );
      });
    expect(posted.text).toMatch(/^The report of drill-\S+: completed: RTO/);
    const files = emulator.files().filter((f) => posted.fileIds.includes(f.id));
    const file = (suffix: string) => files.find((f) => f.filename === `${json(posted).runId}-${suffix}`);
    expect(files.map((f) => f.filename).sort()).toEqual(
      ["report.json", "report.md", "timeline.svg"].map((s) => `${json(posted).runId}-${s}`),
    );
    const picture = readTimelinePicture(file("timeline.svg")!.content!.toString());
    expect(picture.steps.map((s) => [s.label, s.status])).toEqual([
      ["Settle", "succeeded"],
      ["Settle again", "succeeded"],
    ]);
    expect(picture.steps[0]!.durationMs).toBeGreaterThanOrEqual(300);
    const report = JSON.parse(file("report.json")!.content!.toString());
    expect(report.approvals.received).toEqual([expect.objectContaining({ userId: "U0A1" })]);
    expect(file("report.md")!.content!.toString()).toContain(
      "| Settle (`settle`) | prepare | wait | succeeded | 1 |",
    );

    // The notifier keeps posting after the report (the refused edit holds the progress post back a
    // round): wait until both Slack refusals are counted.
    let m = await scrape();
    await waitFor(
      async () => {
        m = await scrape();
        return (
          m.value("drbot_slack_api_errors_total", { method: "chat.update", error: "message_not_found" }) ===
            1 && m.value("drbot_slack_api_rate_limited_total", { method: "chat.postMessage" }) === 1
        );
      },
      { timeoutMs: 15_000, intervalMs: 200, description: "the refused edit and the 429 in /metrics" },
    );
    expect(m.value("drbot_runs", { kind: "drill", state: "completed" })).toBe(1);
    expect(
      m.value("drbot_step_duration_seconds_count", {
        step_kind: "wait",
        status: "succeeded",
        run_kind: "drill",
      }),
    ).toBe(2);
    expect(
      m.value("drbot_step_duration_seconds_sum", { step_kind: "wait", run_kind: "drill" }),
    ).toBeGreaterThanOrEqual(0.5);
    expect(m.value("drbot_approval_wait_seconds_count", { kind: "drill" })).toBe(1);
    expect(m.value("drbot_run_transitions_total", { kind: "drill", state: "completed" })).toBe(1);
    expect(m.value("drbot_slack_api_rate_limited_total", { method: "chat.postMessage" })).toBe(1);
    expect(
      m.value("drbot_slack_api_errors_total", { method: "chat.update", error: "message_not_found" }),
    ).toBe(1);
    expect(m.value("drbot_slack_api_calls_total", { method: "files.completeUploadExternal" })).toBe(1);
    expect(m.types.get("drbot_step_duration_seconds")).toBe("histogram");
  });

  it("posts a run's report where /dr report is typed, and refuses an unknown run", async () => {
    const drill = emulator.messages(INCIDENT).find((m) => m.text.startsWith("The report of drill-"))!;
    const runId = json(drill).runId;
    await emulator.sendSlashCommand({ userId: "U0A1", channelId: INCIDENT, text: `report ${runId}` });
    await emulator.waitForEphemeral("U0A1", (e) => e.text.includes(`Report of \`${runId}\` posted here`), {
      timeoutMs: 15_000,
    });
    const asked = emulator.messages(INCIDENT).find((m) => m.text.includes("asked for by"))!;
    expect(asked.text).toContain(`The report of ${runId}, asked for by <@U0A1>: completed`);
    expect(asked.fileIds).toHaveLength(3);
    await emulator.sendSlashCommand({
      userId: "U0A1",
      channelId: INCIDENT,
      text: "report drill-0000-0000-abcdef",
    });
    const refusal = await emulator.waitForEphemeral(
      "U0A1",
      (e) => e.text.includes("drill-0000-0000-abcdef"),
      {
        timeoutMs: 15_000,
      },
    );
    expect(refusal.text).toContain("no run drill-0000-0000-abcdef");
  });

  it("exposes RPO per tier and source, site health and where it runs", async () => {
    const m = await scrape();
    expect(m.value("drbot_rpo_target_seconds", { tier: "tier1" })).toBe(900);
    // No reader for the database is wired in this process: the source is unknown, the tier's RPO +Inf.
    expect(m.value("drbot_rpo_effective_seconds", { tier: "tier1" })).toBe(Number.POSITIVE_INFINITY);
    expect(m.value("drbot_rpo_within_target", { tier: "tier1" })).toBe(0);
    expect(m.value("drbot_rpo_source_unknown", { tier: "tier1", source: "pg" })).toBe(1);
    expect(m.value("drbot_site_up", { site: "dc1", role: "primary" })).toBe(0);
    expect(m.value("drbot_site_up", { site: "dc2", role: "dr" })).toBe(0);
    expect(m.value("drbot_placement_in_primary", { component: "bot" })).toBe(1);
    expect(m.value("drbot_placement_known", { component: "redis" })).toBe(0);
    expect(m.value("drbot_metrics_source_up", { source: "status" })).toBe(1);
    expect(m.value("drbot_metrics_source_up", { source: "runs" })).toBe(1);
  });

  it("turns unready when Redis goes away, and says so", async () => {
    await redis.stop();
    const ready = await get("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body).toContain("redis: unavailable");
    const m = await scrape();
    expect(m.value("drbot_metrics_source_up", { source: "runs" })).toBe(0);
  });
});
