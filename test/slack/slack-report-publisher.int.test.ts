import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { SlackEmulator } from "../../src/emulator/slack-emulator.js";
import type { Runtime } from "../../src/runtime/create-runtime.js";
import { createSlackApp, type SlackSurface } from "../../src/slack/create-slack-app.js";
import { createProvenRuntime } from "../support/proven-runtime.js";
import { freePort } from "../support/redis-server.js";
import { readTimelinePicture } from "../support/svg-picture.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Which runs get a report posted when they end: a failover that ran does, in its own channel, with
 * the picture; a request rejected before anything ran does not. The real Slack surface and WebClient
 * against the emulator; the run store in memory.
 */
const INCIDENT = "C0INCIDENT";
const FAILOVER = `
name: failover
title: Failover
kind: failover
phases:
  - name: activate
    steps:
      - { id: scale, title: Scale up on DR, kind: wait, with: { duration: 200ms } }
  - name: validate
    rtoPhase: validation
    steps:
      - { id: check, title: Check health, kind: wait, with: { duration: 100ms } }
`;

let emulator: SlackEmulator;
let rt: Runtime;
let surface: SlackSurface;

beforeAll(async () => {
  emulator = new SlackEmulator({
    users: ["U0ONCALL", "U0A1", "U0A2"].map((id) => ({ id, name: id.toLowerCase() })),
    channels: [{ id: INCIDENT, name: "incident" }],
    usergroups: [],
  });
  await emulator.start();
  const dir = await mkdtemp(join(tmpdir(), "drbot-report-publisher-"));
  await mkdir(join(dir, "runbooks"));
  await writeFile(join(dir, "runbooks", "failover.yaml"), FAILOVER);
  await writeFile(
    join(dir, "drbot.yaml"),
    stringify({
      sites: [
        { name: "dc1", role: "primary", kubeconfig: { context: "dc1" } },
        { name: "dc2", role: "dr", kubeconfig: { context: "dc2" } },
      ],
      tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
      applications: [{ name: "payments", tier: "tier1", namespaces: ["production"] }],
      slack: {
        incidentChannels: [INCIDENT],
        permissions: {
          failover: { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1", "U0A2"] } },
        },
      },
    }),
  );
  rt = await createProvenRuntime({
    configPath: join(dir, "drbot.yaml"),
    runbooksDir: join(dir, "runbooks"),
    store: new MemoryRunStore({ now: () => Date.now() }),
  });
  const port = await freePort();
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
});

afterAll(async () => {
  await surface?.reports.idle();
  await surface?.stop();
  await rt?.close();
  await emulator?.stop();
});

describe("reports posted when runs end", () => {
  it("posts a failover's report and picture to its channel once it completes", async () => {
    const { run } = await rt.service.request({
      actor: "U0ONCALL",
      runbook: "failover",
      targets: ["payments"],
      reason: "DC1 power loss",
      source: "slack",
      channel: INCIDENT,
    });
    for (const approver of ["U0A1", "U0A2"])
      await rt.service.approve({ actor: approver, runId: run.id, planHash: run.plan.hash });
    const message = await emulator.waitForMessage(INCIDENT, `The report of ${run.id}`, { timeoutMs: 15_000 });
    expect(message.text).toMatch(
      /: completed: RTO \S+ of 2h \(met\); RPO exposure unknown \(target 15m\); steps: 2 succeeded$/,
    );
    const svg = emulator.files().find((f) => f.filename === `${run.id}-timeline.svg`)!;
    const picture = readTimelinePicture(svg.content!.toString());
    expect(picture.steps.map((s) => s.label)).toEqual(["Scale up on DR", "Check health"]);
    expect(picture.steps.every((s) => s.status === "succeeded" && s.durationMs! >= 100)).toBe(true);
    await surface.reports.idle();
    expect(surface.reports.posted).toEqual([run.id]);
  });

  it("posts nothing for a request rejected before anything ran", async () => {
    const { run } = await rt.service.request({
      actor: "U0ONCALL",
      runbook: "failover",
      targets: ["payments"],
      reason: "false alarm",
      source: "slack",
      channel: INCIDENT,
    });
    await rt.service.reject({ actor: "U0A1", runId: run.id, note: "DC1 is fine" });
    await waitFor(async () => (await rt.store.getRun(run.id))?.state === "rejected");
    await surface.reports.idle();
    expect(emulator.messages(INCIDENT).filter((m) => m.text.includes(run.id))).toEqual([]);
    expect(surface.reports.posted).not.toContain(run.id);
  });
});
