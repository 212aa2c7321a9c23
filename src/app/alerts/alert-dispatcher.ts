import type { DrAlert } from "../../domain/dr-alert.js";
import type { AlertKind } from "../../domain/notifications-config.js";
import type { AlertChannel } from "../../ports/alert-channel.js";
import type { Logger } from "../../ports/logger.js";

export interface AlertDispatcherOptions {
  channels: readonly AlertChannel[];
  /** Which kinds of alert leave through the channels (notifications.events). */
  kinds: readonly AlertKind[];
  /** Deadline of one delivery. */
  timeoutMs: number;
  logger: Logger;
  /** Delays between attempts of one delivery (the last failure is logged and given up). */
  retryDelaysMs?: readonly number[];
}

const DEFAULT_RETRIES = [2_000, 10_000, 30_000, 60_000];
/** Conditions remembered for deduplication; the oldest are forgotten first. */
const REMEMBERED = 1_000;

/**
 * Hands each alert to every channel on its own: email does not wait for PagerDuty, and a dead Slack
 * or SMTP server delays nobody else. Each delivery has a deadline and is retried a few times with
 * growing delays (a relay restarting, a receiver briefly down), then logged and given up. An alert
 * whose condition already went out with the same status is not sent again, so a caller that repeats
 * itself (the watcher re-posting to a Slack that keeps failing) sends one email, not one a round.
 * `notify` never throws and never waits for delivery; `idle()` does (tests, shutdown).
 */
export class AlertDispatcher {
  private readonly sent = new Map<string, DrAlert["status"]>();
  private readonly routes: { channel: AlertChannel; kinds: readonly AlertKind[] }[];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly retries: readonly number[];
  private stopped = false;
  /** Waits between attempts, ended at once by stop(). */
  private readonly waits = new Map<NodeJS.Timeout, () => void>();

  constructor(private readonly o: AlertDispatcherOptions) {
    this.retries = o.retryDelaysMs ?? DEFAULT_RETRIES;
    this.routes = o.channels.map((channel) => ({ channel, kinds: o.kinds }));
  }

  get channels(): readonly AlertChannel[] {
    return this.routes.map((r) => r.channel);
  }

  /** Whether an alert of this kind would go anywhere (so a caller can skip the work of making one). */
  wants(kind: AlertKind): boolean {
    return this.routes.some((r) => r.kinds.includes(kind));
  }

  /** A channel attached after start-up (Slack, once its surface exists), for some kinds only. */
  addChannel(channel: AlertChannel, kinds: readonly AlertKind[]): void {
    this.routes.push({ channel, kinds: kinds.filter((k) => this.o.kinds.includes(k)) });
  }

  notify(alert: DrAlert): void {
    if (this.stopped || !this.wants(alert.kind)) return;
    if (this.sent.get(alert.key) === alert.status) return;
    this.sent.delete(alert.key);
    this.sent.set(alert.key, alert.status);
    if (this.sent.size > REMEMBERED) this.sent.delete(this.sent.keys().next().value!);
    for (const { channel } of this.routes.filter((r) => r.kinds.includes(alert.kind))) {
      const delivery = this.deliver(channel, alert).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  /** Resolves once every delivery started so far succeeded or was given up. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Waits for deliveries in flight, at most `ms`; then stops retrying (shutdown, a CLI exiting). */
  async settle(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    this.stop();
  }

  /** Stops retrying; deliveries in flight end at their deadline. */
  stop(): void {
    this.stopped = true;
    for (const [timer, wake] of this.waits) {
      clearTimeout(timer);
      wake();
    }
    this.waits.clear();
  }

  private async deliver(channel: AlertChannel, alert: DrAlert): Promise<void> {
    const log = this.o.logger.child({ operation: "alerts.deliver", channel: channel.name, alert: alert.key });
    for (let attempt = 0; ; attempt++) {
      try {
        await channel.send(alert, AbortSignal.timeout(this.o.timeoutMs));
        log.info(`alert ${alert.status}: ${alert.summary}`, { attempt: attempt + 1 });
        return;
      } catch (error) {
        const delay = this.retries[attempt];
        if (delay === undefined || this.stopped) {
          log.error("alert not delivered; giving up", { err: error, attempts: attempt + 1 });
          return;
        }
        log.warn(`alert not delivered; trying again in ${delay} ms`, { err: error, attempt: attempt + 1 });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.waits.delete(timer);
            resolve();
          }, delay);
          timer.unref();
          this.waits.set(timer, resolve);
        });
        if (this.stopped) {
          log.error("alert not delivered; drbot is stopping", { err: error, attempts: attempt + 1 });
          return;
        }
      }
    }
  }
}
