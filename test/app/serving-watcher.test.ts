import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { OPEN_ALERT_KEY, ServingWatcher } from "../../src/app/serving-watcher.js";
import type { WatchAlert } from "../../src/domain/probe-tracker.js";
import type { Probe } from "../../src/ports/probe.js";
import type { CalendarReminder, WatchNotifier } from "../../src/ports/watch-notifier.js";

/** A notifier that records what it was asked to say, and can be made to fail like Slack being down. */
class RecordingNotifier implements WatchNotifier {
  readonly said: string[] = [];
  down = false;
  async alertOpened(alert: WatchAlert, c: { applications: string[]; remedy: string }) {
    if (this.down) throw new Error("slack is down");
    this.said.push(
      `opened ${alert.id} ${c.applications.join(",")}${c.remedy === "failover" ? "" : ` ${c.remedy}`}`,
    );
  }
  async alertCleared(alert: WatchAlert) {
    if (this.down) throw new Error("slack is down");
    this.said.push(`cleared ${alert.id}`);
  }
  async reminder(r: CalendarReminder) {
    this.said.push(`reminder ${r.id}`);
  }
  async scheduleFailed(s: string) {
    this.said.push(`failed ${s}`);
  }
}

/**
 * A probe of dc1 (or the site after the colon in its target) whose answer the test sets: up, down, or
 * hung (never answers, ignores its signal).
 */
function switchable(target: string, applications: string[], remedy: Probe["remedy"] = "failover") {
  const probe = { mode: "up" as "up" | "down" | "hung" };
  const p: Probe & { mode: "up" | "down" | "hung" } = Object.assign(probe, {
    target,
    site: target.startsWith("api:") ? target.slice(4) : "dc1",
    remedy,
    applications,
    check: () =>
      probe.mode === "hung"
        ? new Promise<{ ok: boolean; detail: string }>(() => {})
        : Promise.resolve({
            ok: probe.mode === "up",
            detail: probe.mode === "up" ? "ok" : "connection refused",
          }),
  });
  return p;
}

function watcher(
  probes: Probe[] | (() => Promise<Probe[]>),
  store: MemoryRunStore,
  notifier: WatchNotifier,
  clock: { now(): number },
) {
  return new ServingWatcher({
    probes: typeof probes === "function" ? probes : async () => probes,
    intervalMs: 1_000,
    probeTimeoutMs: 100,
    failureThreshold: 3,
    recoveryThreshold: 2,
    clock,
    store,
    notifier,
    channel: "C0INCIDENT",
  });
}

describe("the watcher of the sites that serve", () => {
  it("counts a hung API server as failed within the probe deadline, and alerts on the third round when the application's check fails too", async () => {
    let now = 1_000_000;
    const clock = { now: () => now };
    const api = switchable("api:dc1", ["payments", "core-api"]);
    const web = switchable("app:payments/api", ["payments"]);
    const notifier = new RecordingNotifier();
    const w = watcher([api, web], new MemoryRunStore(clock), notifier, clock);
    api.mode = "hung";
    web.mode = "down";
    const rounds = [];
    for (let i = 0; i < 3; i++) {
      rounds.push(await w.round());
      now += 1_000;
    }
    await w.idle();
    expect(rounds.map((events) => events.map((e) => e.type))).toEqual([[], [], ["alert_opened"]]);
    expect(w.openAlert?.failing.find((f) => f.target === "api:dc1")).toEqual({
      target: "api:dc1",
      since: 1_000_000,
      failures: 3,
      detail: "no answer within 100 ms",
    });
    expect(notifier.said).toEqual([`opened ${w.openAlert!.id} payments,core-api`]);
  });

  it("alerts on a hung API server alone only after twice the evidence while the application still answers", async () => {
    let now = 1_000_000;
    const clock = { now: () => now };
    const api = switchable("api:dc1", ["payments", "core-api"]);
    const web = switchable("app:payments/api", ["payments"]);
    const w = watcher([api, web], new MemoryRunStore(clock), new RecordingNotifier(), clock);
    api.mode = "hung";
    const rounds = [];
    for (let i = 0; i < 6; i++) {
      rounds.push(await w.round());
      now += 1_000;
    }
    expect(rounds.map((events) => events.map((e) => e.type))).toEqual([[], [], [], [], [], ["alert_opened"]]);
    expect(w.openAlert?.failing).toEqual([
      { target: "api:dc1", since: 1_000_000, failures: 6, detail: "no answer within 100 ms" },
    ]);
  });

  it("keeps the open alert in the store, so another replica continues and clears it without posting again", async () => {
    let now = 1_000_000;
    const clock = { now: () => now };
    const store = new MemoryRunStore(clock);
    const notifier = new RecordingNotifier();
    const api = switchable("api:dc1", ["payments"]);
    api.mode = "down";
    const first = watcher([api], store, notifier, clock);
    for (let i = 0; i < 5; i++) {
      await first.round();
      now += 1_000;
    }
    await first.idle();
    const alert = JSON.parse((await store.kvGet(OPEN_ALERT_KEY))!) as WatchAlert;
    expect(alert.firstFailureAt).toBe(1_000_000);

    const second = watcher([api], store, notifier, clock);
    expect(await second.round()).toEqual([]);
    api.mode = "up";
    await second.round();
    const [cleared] = await second.round();
    expect(cleared).toMatchObject({ type: "alert_cleared", alert: { id: alert.id } });
    expect(await store.kvGet(OPEN_ALERT_KEY)).toBe("");
    await second.idle();
    expect(notifier.said).toEqual([`opened ${alert.id} payments`, `cleared ${alert.id}`]);
  });

  it("retries what Slack did not take, in order, so an alert is never cleared before it was posted", async () => {
    const clock = { now: () => 1_000_000 };
    const notifier = new RecordingNotifier();
    const api = switchable("api:dc1", ["payments"]);
    const w = watcher([api], new MemoryRunStore(clock), notifier, clock);
    notifier.down = true;
    api.mode = "down";
    for (let i = 0; i < 3; i++) {
      await w.round();
      await w.idle();
    }
    api.mode = "up";
    for (let i = 0; i < 2; i++) {
      await w.round();
      await w.idle();
    }
    expect(notifier.said).toEqual([]);
    notifier.down = false;
    await w.round();
    await w.idle();
    expect(notifier.said.map((s) => s.split(" ")[0])).toEqual(["opened", "cleared"]);
  });

  it("keeps probing while Slack hangs on the alert", async () => {
    const clock = { now: () => 1_000_000 };
    const api = switchable("api:dc1", ["payments"]);
    const said: string[] = [];
    const hanging: WatchNotifier = {
      alertOpened: () => new Promise(() => {}),
      alertCleared: async () => void said.push("cleared"),
      reminder: async () => {},
      scheduleFailed: async () => {},
    };
    const w = watcher([api], new MemoryRunStore(clock), hanging, clock);
    api.mode = "down";
    const events = [];
    for (let i = 0; i < 3; i++) events.push(...(await w.round()));
    api.mode = "up";
    for (let i = 0; i < 2; i++) events.push(...(await w.round()));
    expect(events.map((e) => e.type)).toEqual(["alert_opened", "alert_cleared"]);
    expect(said).toEqual([]);
  });

  it("probes what the site state says each round: after a failover DR, and an alert on the primary clears as no longer serving", async () => {
    let now = 1_000_000;
    const clock = { now: () => now };
    const dc1 = switchable("api:dc1", ["payments"]);
    const dc2 = switchable("api:dc2", ["payments"], "failback");
    let watched: Probe[] = [dc1];
    const notifier = new RecordingNotifier();
    const w = watcher(async () => watched, new MemoryRunStore(clock), notifier, clock);
    dc1.mode = "down";
    for (let i = 0; i < 3; i++) {
      await w.round();
      now += 1_000;
    }
    const opened = w.openAlert!;
    expect(opened.site).toBe("dc1");
    // The failover completed: payments is served from dc2, which the next round probes instead.
    watched = [dc2];
    const [cleared] = await w.round();
    expect(cleared).toMatchObject({ type: "alert_cleared", alert: { clearedBecause: "no_longer_serving" } });
    dc2.mode = "down";
    for (let i = 0; i < 3; i++) {
      now += 1_000;
      await w.round();
    }
    await w.idle();
    expect(w.openAlert?.site).toBe("dc2");
    expect(notifier.said).toEqual([
      `opened ${opened.id} payments`,
      `cleared ${opened.id}`,
      `opened ${w.openAlert!.id} payments failback`,
    ]);
  });

  it("probes what the last round did when the site state cannot be read, and says so", async () => {
    const clock = { now: () => 1_000_000 };
    const errors: unknown[] = [];
    const api = switchable("api:dc1", ["payments"]);
    let fail = false;
    const w = new ServingWatcher({
      probes: async () => {
        if (fail) throw new Error("Redis did not read which site serves each application");
        return [api];
      },
      intervalMs: 1_000,
      probeTimeoutMs: 100,
      failureThreshold: 3,
      recoveryThreshold: 2,
      clock,
      store: new MemoryRunStore(clock),
      notifier: new RecordingNotifier(),
      channel: "C0INCIDENT",
      onError: (error) => errors.push(error),
      onRound: (results) => void rounds.push(results.map((r) => r.target)),
    });
    const rounds: string[][] = [];
    await w.round();
    fail = true;
    await w.round();
    expect(rounds).toEqual([["api:dc1"], ["api:dc1"]]);
    expect(errors).toEqual([new Error("Redis did not read which site serves each application")]);
  });
});
