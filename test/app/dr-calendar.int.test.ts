import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemorySiteState } from "../../src/adapters/memory/memory-site-state.js";
import type { RedisLeaderLease } from "../../src/adapters/redis/redis-leader-lease.js";
import { DrCalendar, lastRunKey } from "../../src/app/dr-calendar.js";
import type { DrService } from "../../src/app/dr-service.js";
import { startWatch, type WatchHandle } from "../../src/app/start-watch.js";
import type { Config } from "../../src/domain/config.js";
import { calendarSchema } from "../../src/domain/watch-config.js";
import type { Clock } from "../../src/ports/clock.js";
import { silentLogger } from "../../src/ports/logger.js";
import type { RunStore } from "../../src/ports/run-store.js";
import type { SiteStateStore } from "../../src/ports/site-state.js";
import { registerWatchListeners } from "../../src/slack/listeners/watch-listeners.js";
import { SlackWatchNotifier } from "../../src/slack/slack-watch-notifier.js";
import { WATCH_ACTION } from "../../src/slack/views/watch-views.js";
import { testConfig, testRunbook } from "../support/config-fixture.js";
import { effect, Ledger } from "../support/engine-harness.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";
import { servingAfterFailover } from "../support/serving.js";
import { blocksText, INCIDENT, type SlackHarness, startSlackHarness } from "../support/slack-harness.js";
import { waitFor } from "../support/wait-for.js";
import { openTestLeaderLease } from "../support/watch-fixture.js";

/**
 * The DR test calendar through the real path: the leader's calendar requests the verify runbook on
 * real Redis, the engine runs it, the Slack surface posts it in the emulator's channel. drbot
 * "restarts" by starting a new surface, engine and calendar on the same Redis.
 */
const verify = testRunbook({
  name: "backup-verify",
  kind: "verify",
  phases: [{ name: "verify", steps: [effect("verify-backups")] }],
});
/** Restores into scratch namespaces on the DR site: it acts on a site, so it needs DR as the standby. */
const restoreTest = testRunbook({
  name: "restore-test",
  kind: "verify",
  phases: [
    {
      name: "restore",
      steps: [
        {
          id: "delete-scratch",
          title: "Delete the scratch namespace",
          kind: "k8s.delete-namespace",
          with: { site: "{{sites.dr}}", namespace: "drbot-restore-production" },
        },
      ],
    },
  ],
});
const drill = testRunbook({
  name: "drill",
  kind: "drill",
  approvals: { required: 1 },
  phases: [{ name: "drill", steps: [effect("drill-step")] }],
});

let redis: RedisServer;
const cleanups: Array<() => Promise<void>> = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await redis.stop();
});

const fixedClock = (iso: string): Clock => ({ now: () => Date.parse(iso) });

/** One drbot process: the Slack surface and engine (harness), the leader lease and the calendar. */
async function startDrbot(options: {
  prefix: string;
  config: Config;
  calendarClock: Clock;
  ledger: Ledger;
  token: string;
  siteState?: SiteStateStore;
}): Promise<{
  h: SlackHarness;
  watch: WatchHandle;
  store: RunStore;
  lease: RedisLeaderLease;
  stop(): Promise<void>;
}> {
  const store = await openTestRedisStore(redis.url, options.prefix);
  const siteState = options.siteState ?? new MemorySiteState();
  const h = await startSlackHarness({
    runbooks: [verify, restoreTest, drill],
    store,
    config: options.config,
    ledger: options.ledger,
    siteState,
  });
  registerWatchListeners(h.surface.app, {
    service: h.service,
    store,
    notifier: h.surface.notifier,
    client: h.surface.client,
    log: h.surface.log,
    clock: { now: () => Date.now() },
  });
  const lease = await openTestLeaderLease(redis.url, options.prefix);
  const watch = startWatch({
    config: options.config,
    service: h.service,
    store,
    clock: options.calendarClock,
    siteState,
    lease,
    notifier: new SlackWatchNotifier(h.surface.client, store),
    token: options.token,
    log: silentLogger,
  });
  const stop = async () => {
    await watch.stop();
    await h.stop();
    await lease.close();
    await store.close();
  };
  return { h, watch, store, lease, stop };
}

describe("the DR test calendar", () => {
  it("runs a weekly verification missed while drbot was down once after the restart, and never again", async () => {
    const config = testConfig({
      watch: { enabled: false, leaseTtl: "2s" },
      calendar: {
        schedules: [{ name: "weekly-backup-verification", cron: "0 6 * * MON", run: "backup-verify" }],
      },
    });
    const ledger = new Ledger();
    const key = lastRunKey("weekly-backup-verification");

    // Sunday: drbot runs and notes the schedule; nothing is due yet.
    const first = await startDrbot({
      prefix: "cal1:",
      config,
      calendarClock: fixedClock("2026-11-15T12:00:00Z"),
      ledger,
      token: "r1",
    });
    await waitFor(async () => (await first.store.kvGet(key)) !== undefined, { description: "the baseline" });
    expect(await first.store.listRuns()).toEqual([]);
    await first.stop();

    // Down over two Mondays; back on Tuesday the 24th: the verification runs once, by itself.
    const second = await startDrbot({
      prefix: "cal1:",
      config,
      calendarClock: fixedClock("2026-11-24T09:00:00Z"),
      ledger,
      token: "r2",
    });
    await waitFor(async () => (await second.store.listRuns()).some((r) => r.state === "completed"), {
      timeoutMs: 15_000,
      description: "the scheduled verification to complete",
    });
    const [run] = await second.store.listRuns();
    expect(run).toMatchObject({
      kind: "verify",
      source: "schedule",
      requestedBy: "drbot",
      channel: INCIDENT,
    });
    expect(ledger.count("verify-backups")).toBe(1);
    const posted = await second.h.findMessage("Backup verification");
    expect(posted.channel).toBe(INCIDENT);
    expect(await second.watch.calendar!.tick()).toEqual([]);
    await second.stop();

    // Restarted again the same day: already handled, not repeated.
    const third = await startDrbot({
      prefix: "cal1:",
      config,
      calendarClock: fixedClock("2026-11-24T10:00:00Z"),
      ledger,
      token: "r3",
    });
    await waitFor(() => third.watch.leadership.isLeader, { description: "the third process to lead" });
    expect(await third.watch.calendar!.tick()).toEqual([]);
    expect(await third.store.listRuns()).toHaveLength(1);
    expect(ledger.count("verify-backups")).toBe(1);
    await third.stop();
  });

  it("runs schedules only in the leader", async () => {
    const config = testConfig({
      watch: { enabled: false, leaseTtl: "2s" },
      calendar: {
        schedules: [{ name: "weekly-backup-verification", cron: "0 6 * * MON", run: "backup-verify" }],
      },
    });
    const ledger = new Ledger();
    const prefix = "cal2:";
    const seed = await openTestRedisStore(redis.url, prefix);
    await seed.kvSet(lastRunKey("weekly-backup-verification"), String(Date.parse("2026-11-16T07:00:00Z")));
    await seed.close();
    const clock = fixedClock("2026-11-24T09:00:00Z");
    const a = await startDrbot({ prefix, config, calendarClock: clock, ledger, token: "a" });
    const b = await startDrbot({ prefix, config, calendarClock: clock, ledger, token: "b" });
    cleanups.push(a.stop, b.stop);
    await waitFor(async () => (await a.store.listRuns()).some((r) => r.state === "completed"), {
      timeoutMs: 15_000,
      description: "one verification to complete",
    });
    expect([a.watch.leadership.isLeader, b.watch.leadership.isLeader].filter(Boolean)).toHaveLength(1);
    const follower = a.watch.leadership.isLeader ? b : a;
    // The follower's calendar never started: its schedules wait for leadership.
    expect(follower.watch.leadership.isLeader).toBe(false);
    expect(await a.store.listRuns()).toHaveLength(1);
    expect(ledger.count("verify-backups")).toBe(1);
  });

  it("posts the quarterly drill reminder, whose button requests a drill as the person who clicks", async () => {
    const config = testConfig({
      watch: { enabled: false, leaseTtl: "2s" },
      calendar: {
        schedules: [
          {
            name: "quarterly-drill",
            cron: "0 9 1 1,4,7,10 *",
            remind: "drill",
            targets: ["payments"],
            text: "Quarterly full DR drill: 4 hours, Ops, Dev and Management.",
          },
        ],
      },
    });
    const prefix = "cal3:";
    const seed = await openTestRedisStore(redis.url, prefix);
    await seed.kvSet(lastRunKey("quarterly-drill"), String(Date.parse("2026-07-01T10:00:00Z")));
    await seed.close();
    const d = await startDrbot({
      prefix,
      config,
      calendarClock: fixedClock("2026-10-01T09:30:00Z"),
      ledger: new Ledger(),
      token: "q",
    });
    cleanups.push(d.stop);
    const reminder = await d.h.findMessage("Quarterly full DR drill");
    await d.h.click("U0ONCALL", INCIDENT, reminder.ts, WATCH_ACTION.reminderRequest);
    const card = await d.h.findMessage("DR drill requested");
    expect(JSON.stringify(card.blocks)).toContain("payments");
    const [run] = await d.store.listRuns();
    expect(run).toMatchObject({ kind: "drill", requestedBy: "U0ONCALL", state: "pending_approval" });

    const seen = d.h.ephemeralCount("U0STRANGER");
    await d.h.click("U0STRANGER", INCIDENT, reminder.ts, WATCH_ACTION.reminderRequest);
    expect(await d.h.lastEphemeral("U0STRANGER", seen)).toContain("drill");
  });

  it("does not run a scheduled restore test while DR serves an application, and posts why in the channel", async () => {
    const config = testConfig({
      watch: { enabled: false, leaseTtl: "2s" },
      calendar: {
        schedules: [
          { name: "monthly-restore-test", cron: "0 2 1 * *", run: "restore-test", targets: ["payments"] },
        ],
      },
    });
    const siteState = new MemorySiteState();
    const [move] = servingAfterFailover(config, ["analytics"]).flatMap((s) => (s.move ? [s.move] : []));
    expect(await siteState.record([move!], { analytics: null })).toEqual({ ok: true });
    const prefix = "cal4:";
    const seed = await openTestRedisStore(redis.url, prefix);
    await seed.kvSet(lastRunKey("monthly-restore-test"), String(Date.parse("2026-10-01T03:00:00Z")));
    await seed.close();
    const d = await startDrbot({
      prefix,
      config,
      calendarClock: fixedClock("2026-11-01T02:30:00Z"),
      ledger: new Ledger(),
      token: "m",
      siteState,
    });
    cleanups.push(d.stop);
    const posted = await d.h.findMessage("monthly-restore-test");
    expect(blocksText(posted)).toContain("analytics is served from dc2");
    expect(blocksText(posted)).toContain("/dr failback analytics");
    expect(await d.store.listRuns()).toEqual([]);
  });

  it("refuses at start-up a schedule that would run a drill or failover by itself, or names no loaded runbook", () => {
    const runbooks = new Map([verify, drill].map((r) => [r.name, r]));
    const service = {
      runbook: (name: string) => {
        const found = runbooks.get(name);
        if (!found) throw new Error(`no runbook named "${name}"`);
        return found;
      },
    } as unknown as DrService;
    const calendar = (schedule: Record<string, unknown>) =>
      calendarSchema.parse({ schedules: [{ name: "s", cron: "0 6 * * MON", ...schedule }] });
    expect(() => DrCalendar.check(calendar({ run: "backup-verify" }), service)).not.toThrow();
    expect(() => DrCalendar.check(calendar({ remind: "drill" }), service)).not.toThrow();
    expect(() => DrCalendar.check(calendar({ run: "drill" }), service)).toThrow(
      /only verify runbooks run by themselves/,
    );
    expect(() => DrCalendar.check(calendar({ run: "nightly" }), service)).toThrow(
      /no runbook named "nightly"/,
    );
  });
});
