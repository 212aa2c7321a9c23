import type { Config } from "../../domain/config.js";
import { type DrAlert, lagAlert, rpoAlert } from "../../domain/dr-alert.js";
import type { TierRpo } from "../../domain/rpo.js";
import type { Clock } from "../../ports/clock.js";
import type { RunStore } from "../../ports/run-store.js";
import type { AlertDispatcher } from "./alert-dispatcher.js";

export interface RpoAlertMonitorOptions {
  config: Config;
  /** The RPO per tier, as status shows it (never throws: unread sources are unknown). */
  readRpo: () => Promise<TierRpo[]>;
  store: Pick<RunStore, "kvGet" | "kvSet">;
  alerts: AlertDispatcher;
  clock: Clock;
  intervalMs: number;
  onError: (error: unknown) => void;
}

/** Conditions firing now, kept in the store so a new leader resolves what the last one fired. */
export const FIRING_KEY = "alerts:firing";
const FIRING_TTL_MS = 30 * 86_400_000;
/** Rounds in a row a condition must show before it fires or resolves: one slow reading is no breach. */
const CONFIRM_ROUNDS = 2;

/**
 * Turns RPO breaches and replication lag into alerts that reach people without Slack: every
 * interval (in the leader only) it reads the RPO per tier, and a tier that stops being green (a late
 * backup, an unknown source, data beyond the target) or a replica whose lag goes over its threshold
 * fires an alert; it resolves once green again. A change must hold for two rounds in a row.
 */
export class RpoAlertMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly pending = new Map<string, { status: DrAlert["status"]; rounds: number }>();

  constructor(private readonly o: RpoAlertMonitorOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.pending.clear();
    const tick = () => {
      this.running = this.check()
        .then(
          () => undefined,
          (error: unknown) => this.o.onError(error),
        )
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.o.intervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One round: the alerts it handed to the dispatcher (fired or resolved). */
  async check(): Promise<DrAlert[]> {
    const now = this.o.clock.now();
    const tiers = await this.o.readRpo();
    const seen = [...tiers.map((t) => rpoAlert(t, now)), ...this.lagAlerts(tiers, now)];
    const firing = new Set<string>(JSON.parse((await this.o.store.kvGet(FIRING_KEY)) ?? "[]") as string[]);
    const sent: DrAlert[] = [];
    for (const alert of seen) {
      const current = firing.has(alert.key) ? "firing" : "resolved";
      if (alert.status === current) {
        this.pending.delete(alert.key);
        continue;
      }
      const rounds =
        this.pending.get(alert.key)?.status === alert.status ? this.pending.get(alert.key)!.rounds + 1 : 1;
      if (rounds < CONFIRM_ROUNDS) {
        this.pending.set(alert.key, { status: alert.status, rounds });
        continue;
      }
      this.pending.delete(alert.key);
      if (alert.status === "firing") firing.add(alert.key);
      else firing.delete(alert.key);
      this.o.alerts.notify(alert);
      sent.push(alert);
    }
    if (sent.length > 0)
      await this.o.store.kvSet(FIRING_KEY, JSON.stringify([...firing]), { ttlMs: FIRING_TTL_MS });
    return sent;
  }

  private lagAlerts(tiers: readonly TierRpo[], now: number): DrAlert[] {
    const alerts = new Map<string, DrAlert>();
    for (const source of tiers.flatMap((t) => t.sources)) {
      const configured = this.o.config.dataSources.find((d) => d.name === source.source);
      if (configured?.kind !== "postgres" || alerts.has(source.source)) continue;
      alerts.set(
        source.source,
        lagAlert(
          { name: source.source, lagAlertMs: configured.lagAlert },
          source.exposureMs,
          source.detail,
          now,
        ),
      );
    }
    return [...alerts.values()];
  }
}
