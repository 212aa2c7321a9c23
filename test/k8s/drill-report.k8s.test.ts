import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli } from "../../src/cli/main.js";
import { parseEnvironment } from "../../src/config/environment.js";
import type { RunReport } from "../../src/domain/run-report.js";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";
import type { Runtime } from "../../src/runtime/create-runtime.js";
import { createSlackApp, type SlackSurface } from "../../src/slack/create-slack-app.js";
import { startTestClusters, type TestClusters } from "../support/k8s-testenv.js";
import { createProvenRuntime } from "../support/proven-runtime.js";
import { freePort, type RedisServer, startRedisServer } from "../support/redis-server.js";
import { seedPaymentsDeployments } from "../support/seed-payments-deployments.js";
import { readTimelinePicture } from "../support/svg-picture.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The shipped drill on two real clusters, with the run in a real Redis and the Slack surface on the
 * emulator: when the drill ends its report and timeline picture are posted to the incident channel
 * as files, and `drbot report --out` writes the same from Redis. The picture is read back and
 * checked for what it shows: a bar per step with its name and duration, the RTO line.
 */
const INCIDENT = "C0INCIDENT";
let clusters: TestClusters;
let redis: RedisServer;
let emulator: SlackEmulator;
let configFile: string;

beforeAll(async () => {
  [clusters, redis] = await Promise.all([startTestClusters(), startRedisServer()]);
  await seedPaymentsDeployments(clusters, "dc1", 3, 2);
  await seedPaymentsDeployments(clusters, "dc2", 0, 0);
  emulator = new SlackEmulator({
    users: [
      { id: "U0ONCALL", name: "oncall" },
      { id: "U0A1", name: "approver" },
    ],
    channels: [{ id: INCIDENT, name: "incident" }],
    usergroups: [],
  });
  await emulator.start();
  const dir = await mkdtemp(join(tmpdir(), "drbot-drill-report-"));
  configFile = join(dir, "drbot.yaml");
  const config = clusters.config();
  await writeFile(
    configFile,
    // Durations written as text: the parsed configuration holds milliseconds, which YAML would read as seconds.
    stringify({
      ...config,
      sites: config.sites.map((s) => ({ ...s, requestTimeout: "5s" })),
      tiers: config.tiers.map((t) => ({ name: t.name, rto: "2h", rpo: "15m" })),
      approvals: { ...config.approvals, expiry: "30m" },
      engine: { ...config.engine, leaseTtl: "15s" },
      redis: { ...config.redis, commandTimeout: "2s" },
    }),
  );
}, 600_000);

afterAll(async () => {
  await emulator?.stop();
  await redis?.stop();
  await clusters?.stop();
});

describe("a drill's report on two real clusters", () => {
  let rt: Runtime;
  let surface: SlackSurface;
  let runId = "";

  beforeAll(async () => {
    const env = parseEnvironment({ ...process.env, REDIS_URL: redis.url });
    rt = await createProvenRuntime({ configPath: configFile, runbooksDir: "runbooks", env });
    const port = await freePort();
    emulator.setRequestUrl(`http://127.0.0.1:${port}/slack/events`);
    surface = createSlackApp(
      {
        mode: "http",
        botToken: emulator.botToken,
        signingSecret: emulator.signingSecret,
        apiUrl: emulator.apiUrl,
        port,
      },
      { service: rt.service, store: rt.store, clock: rt.clock, reports: rt.reports },
    );
    rt.observers.attach(surface.reports);
    await surface.start();
    const { run } = await rt.service.request({
      actor: "U0ONCALL",
      runbook: "drill",
      targets: ["payments"],
      reason: "quarterly drill",
      source: "slack",
      channel: INCIDENT,
    });
    runId = run.id;
    await rt.service.approve({ actor: "U0A1", runId, planHash: run.plan.hash });
    await waitFor(async () => (await rt.store.getRun(runId))?.state === "waiting_manual", {
      timeoutMs: 30_000,
      description: "the pre-test checklist",
    });
    const items = run.plan.steps.find((s) => s.id === "pre-test-checklist")!.params.items as string[];
    for (const [i, item] of items.entries())
      await rt.service.tick({
        actor: i % 2 ? "U0A1" : "U0ONCALL",
        runId,
        stepId: "pre-test-checklist",
        item,
      });
    await waitFor(
      async () =>
        ["completed", "completed_with_exceptions", "paused_failed_step", "failed"].includes(
          (await rt.store.getRun(runId))!.state,
        ),
      { timeoutMs: 90_000, description: "the drill to finish" },
    );
    expect((await rt.store.getRun(runId))!.state).toBe("completed");
  }, 180_000);

  afterAll(async () => {
    await surface?.reports.idle();
    await surface?.stop();
    await rt?.close();
  });

  it("posts the report and its picture to the incident channel when the drill ends", async () => {
    const message = await emulator.waitForMessage(INCIDENT, `The report of ${runId}`, { timeoutMs: 30_000 });
    expect(message.text).toContain("completed: RTO");
    expect(message.text).toContain("nothing left behind");
    const names = emulator
      .files()
      .filter((f) => message.fileIds.includes(f.id))
      .map((f) => f.filename)
      .sort();
    expect(names).toEqual([`${runId}-report.json`, `${runId}-report.md`, `${runId}-timeline.svg`]);
  });

  it("draws a bar per step, named and timed, against the RTO budget", async () => {
    const file = emulator.files().find((f) => f.filename === `${runId}-timeline.svg`)!;
    const picture = readTimelinePicture(file.content!.toString());
    const run = (await rt.store.getRun(runId))!;
    const steps = await rt.store.getSteps(runId);
    expect(picture.title).toBe(`DR drill: ${runId}`);
    expect(picture.steps.map((s) => s.id)).toEqual(run.plan.steps.map((s) => s.id));
    // Titles longer than the label column (46 characters) end in an ellipsis; the bar's tooltip has them whole.
    const shown = (title: string) => (title.length > 46 ? `${title.slice(0, 45)}…` : title);
    expect(picture.steps.map((s) => s.label)).toEqual(run.plan.steps.map((s) => shown(s.title)));
    for (const drawn of picture.steps) {
      const record = steps.get(drawn.id)!;
      expect(drawn.status).toBe("succeeded");
      expect(drawn.durationMs).toBe(record.endedAt! - record.startedAt!);
      expect(drawn.bar!.width).toBeGreaterThan(0);
    }
    // Bars are as long as their steps took: the longest step has the widest bar.
    const widest = picture.steps.reduce((a, b) => (b.bar!.width > a.bar!.width ? b : a));
    const longest = picture.steps.reduce((a, b) => (b.durationMs! > a.durationMs! ? b : a));
    expect(widest.bar!.width).toBe(longest.bar!.width);
    expect(
      picture.steps.find((s) => s.id === `wait-ready.${clusters.ns("production")}.payments-api`)!
        .durationText,
    ).toMatch(/^\d+(\.\d)?(ms|s)$/);
    // A drill of seconds against a 2 h budget: the budget line is drawn off scale and labelled.
    expect(picture.rtoLine).toMatchObject({
      rtoMs: 7_200_000,
      offScale: true,
      label: "RTO 2h (off scale →)",
    });
    expect(picture.budgetLabel).toMatch(/^RTO budget 2h: used \S+ \(\d+\.\d+%\)$/);
    expect(picture.phases).toEqual(["pre-test", "capture", "failover", "validate", "failback"]);
  });

  it("writes the same report from Redis with drbot report --out, with the diff and the cleanup proof", async () => {
    const out = await mkdtemp(join(tmpdir(), "drbot-report-out-"));
    const lines: string[] = [];
    const code = await runCli(["report", runId, "--out", out], {
      out: (t) => lines.push(t),
      err: (t) => lines.push(t),
      env: { ...process.env, DRBOT_CONFIG: configFile, DRBOT_RUNBOOKS: "runbooks", REDIS_URL: redis.url },
    });
    expect(code, lines.join("\n")).toBe(0);
    const report = JSON.parse(await readFile(join(out, `${runId}-report.json`), "utf8")) as RunReport;
    expect(report.run).toMatchObject({
      id: runId,
      kind: "drill",
      state: "completed",
      requestedBy: "U0ONCALL",
    });
    expect(report.rto).toMatchObject({ targetMs: 7_200_000, finished: true, met: true });
    expect(report.approvals.received.map((a) => a.userId)).toEqual(["U0A1"]);
    expect(report.attestations.map((a) => [a.item, a.userId])).toEqual([
      ["All stakeholders notified", "U0ONCALL"],
      ["Test window scheduled", "U0A1"],
      ["Primary cluster healthy", "U0ONCALL"],
      ["DR cluster ready", "U0A1"],
      ["Backup jobs completed", "U0ONCALL"],
    ]);
    expect(
      report.drill!.snapshots.map((s) => [
        s.label,
        s.site,
        s.workloads,
        s.runningPods?.[clusters.ns("production")] ?? 0,
      ]),
    ).toEqual([
      ["before", "dc2", 2, 0],
      ["after", "dc2", 2, 3],
    ]);
    const diff = report.drill!.diffs[0]!.diff!;
    expect(diff.changed).toContainEqual(
      expect.objectContaining({
        object: `Deployment ${clusters.ns("production")}/payments-api`,
        field: "replicas",
        before: "0",
        after: "3",
      }),
    );
    expect(report.drill!.cleanup).toEqual([
      expect.objectContaining({
        status: "succeeded",
        proof: expect.stringContaining(
          `nothing labelled with ${runId} remains on dc1, dc2; 2 workload(s) back at their replicas from before the run`,
        ),
      }),
    ]);
    const md = await readFile(join(out, `${runId}-report.md`), "utf8");
    expect(md).toContain(`~ Deployment ${clusters.ns("production")}/payments-api: replicas 0 → 3`);
    expect(md).toContain("| Pre-test checklist | Test window scheduled | U0A1 |");
    const picture = readTimelinePicture(await readFile(join(out, `${runId}-timeline.svg`), "utf8"));
    expect(picture.steps).toHaveLength(report.steps.length);
  });
});
