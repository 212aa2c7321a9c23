import {
  initialTrackerState,
  observeRound,
  type ProbeResult,
  type ProbeThresholds,
  type TrackerEvent,
  type TrackerState,
  type WatchAlert,
} from "../domain/probe-tracker.js";
import type { Clock } from "../ports/clock.js";
import type { Probe } from "../ports/probe.js";
import type { RunStore } from "../ports/run-store.js";
import type { WatchNotifier } from "../ports/watch-notifier.js";

/** What the alert's button needs after the alert is posted (kept 30 days). */
export interface AlertRecord {
  alert: WatchAlert;
  applications: string[];
  channel: string;
  /** The run the button requests: a failover off the home site, a failback off DR (absent: failover). */
  remedy?: "failover" | "failback";
}

export const OPEN_ALERT_KEY = "watch:alert";
export const alertRecordKey = (id: string) => `watch:alert:${id}`;
const ALERT_RECORD_TTL_MS = 30 * 86_400_000;

export interface ServingWatcherOptions extends ProbeThresholds {
  /**
   * What to probe this round: the sites that serve, as the site state says now. Asked at the start
   * of every round (bounded by the store's deadline); what it throws is reported through `onError`
   * and the round probes what the previous one did.
   */
  probes: () => Promise<readonly Probe[]>;
  intervalMs: number;
  probeTimeoutMs: number;
  clock: Clock;
  store: Pick<RunStore, "kvGet" | "kvSet">;
  notifier: WatchNotifier;
  channel: string;
  onError?: (error: unknown) => void;
  /** Told about every round (tests and metrics). */
  onRound?: (results: readonly ProbeResult[], events: readonly TrackerEvent[]) => void;
}

/**
 * Probes the sites that serve every interval (fixed rate: a slow round does not push the next ones
 * back), feeds the results to the probe tracker, and turns its transitions into an alert posted once
 * and cleared once. The open alert lives in the store, so a replica taking over leadership continues
 * it instead of opening a second one. After a failover it watches DR, which then serves; the primary,
 * serving nothing, is no longer probed. Run only in the leader.
 */
export class ServingWatcher {
  private state: TrackerState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  /** Notifications not delivered yet, oldest first; a failed one is retried after the next round. */
  private unsent: Array<() => Promise<void>> = [];
  /** Delivery runs beside the rounds: a slow or absent Slack never delays probing. */
  private delivering: Promise<void> | undefined;

  /** The probes of the last round, kept for a round whose site state cannot be read. */
  private probes: readonly Probe[] = [];

  constructor(private readonly o: ServingWatcherOptions) {}

  get openAlert(): WatchAlert | undefined {
    return this.state?.alert;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    // State is read again from the store: another replica may have opened or cleared an alert.
    this.state = undefined;
    this.loop(this.o.clock.now());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    // A post in flight may finish, within a bound: a hung Slack must not hold up a shutdown.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.delivering, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
    clearTimeout(timer);
  }

  /** Resolves once every notification queued so far was delivered or failed (tests, shutdown). */
  async idle(): Promise<void> {
    await this.delivering;
  }

  /** One round: every probe in parallel, each within the probe deadline. */
  async round(): Promise<TrackerEvent[]> {
    this.state ??= initialTrackerState(await this.loadOpenAlert());
    try {
      this.probes = await this.o.probes();
    } catch (error) {
      this.o.onError?.(error);
    }
    const probes = this.probes;
    const results = await Promise.all(probes.map((p) => this.probe(p)));
    const siteOf = (target: string) => probes.find((p) => p.target === target)?.site ?? "?";
    const { state, events } = observeRound(this.state, results, this.o.clock.now(), this.o, siteOf);
    this.state = state;
    for (const event of events) {
      if (event.type === "alert_opened") await this.opened(event.alert, results, probes);
      else await this.cleared(event.alert);
    }
    this.deliver();
    this.o.onRound?.(results, events);
    return events;
  }

  private loop(at: number): void {
    if (this.stopped) return;
    const delay = Math.max(0, at - this.o.clock.now());
    this.timer = setTimeout(() => {
      this.running = this.round()
        .then(
          () => undefined,
          (error) => this.o.onError?.(error),
        )
        .finally(() => {
          this.running = undefined;
          let next = at + this.o.intervalMs;
          // After a stall (a suspended process), start again from now rather than racing to catch up.
          if (next < this.o.clock.now()) next = this.o.clock.now();
          this.loop(next);
        });
    }, delay);
    this.timer.unref();
  }

  private async probe(p: Probe): Promise<ProbeResult> {
    const at = this.o.clock.now();
    const ms = this.o.probeTimeoutMs;
    const signal = AbortSignal.timeout(ms);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<{ ok: boolean; detail: string }>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${ms} ms` }), ms + 50);
    });
    try {
      const outcome = await Promise.race([
        p.check(signal).catch((error: unknown) => ({
          ok: false,
          detail: signal.aborted
            ? `no answer within ${ms} ms`
            : error instanceof Error
              ? error.message
              : String(error),
        })),
        late,
      ]);
      return { target: p.target, at, ...outcome };
    } finally {
      clearTimeout(timer);
    }
  }

  private async loadOpenAlert(): Promise<WatchAlert | undefined> {
    const raw = await this.o.store.kvGet(OPEN_ALERT_KEY);
    return raw ? (JSON.parse(raw) as WatchAlert) : undefined;
  }

  private async opened(
    alert: WatchAlert,
    results: readonly ProbeResult[],
    probes: readonly Probe[],
  ): Promise<void> {
    const failing = new Set(results.filter((r) => !r.ok).map((r) => r.target));
    const down = probes.filter((p) => failing.has(p.target));
    const applications = [...new Set(down.flatMap((p) => p.applications))];
    // Applications served away from home go back home; the others go to DR.
    const remedy = down.some((p) => p.remedy === "failback") ? "failback" : "failover";
    const record: AlertRecord = { alert, applications, channel: this.o.channel, remedy };
    // Persisted before it is announced: a button on a posted alert always finds its record.
    await this.o.store.kvSet(alertRecordKey(alert.id), JSON.stringify(record), {
      ttlMs: ALERT_RECORD_TTL_MS,
    });
    await this.o.store.kvSet(OPEN_ALERT_KEY, JSON.stringify(alert));
    this.send(() => this.o.notifier.alertOpened(alert, { channel: this.o.channel, applications, remedy }));
  }

  private async cleared(alert: WatchAlert): Promise<void> {
    const raw = await this.o.store.kvGet(alertRecordKey(alert.id));
    const record = raw ? (JSON.parse(raw) as AlertRecord) : undefined;
    const channel = record?.channel ?? this.o.channel;
    await this.o.store.kvSet(
      alertRecordKey(alert.id),
      JSON.stringify({ ...record, alert, applications: record?.applications ?? [], channel }),
      { ttlMs: ALERT_RECORD_TTL_MS },
    );
    await this.o.store.kvSet(OPEN_ALERT_KEY, "");
    this.send(() => this.o.notifier.alertCleared(alert, { channel }));
  }

  /** Queued in order; delivered in order by one courier, which stops at the first failure. */
  private send(notify: () => Promise<void>): void {
    this.unsent.push(notify);
  }

  private deliver(): void {
    if (this.delivering || this.unsent.length === 0) return;
    this.delivering = (async () => {
      while (this.unsent.length > 0) {
        try {
          await this.unsent[0]!();
        } catch (error) {
          // Left queued, in order, for the courier after the next round: an alert is never
          // cleared in Slack before it was posted there.
          this.o.onError?.(error);
          return;
        }
        this.unsent.shift();
      }
    })().finally(() => {
      this.delivering = undefined;
    });
  }
}
