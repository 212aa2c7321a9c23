import type { WebClient } from "@slack/web-api";
import { isStepFinished, isTerminal, type RunEvent, type RunRecord } from "../domain/run.js";
import { runStarted } from "../domain/run-effects.js";
import type { Clock } from "../ports/clock.js";
import { type Logger, silentLogger } from "../ports/logger.js";
import type { Notice } from "../ports/notices.js";
import type { RunObserver } from "../ports/run-observer.js";
import type { RunStore } from "../ports/run-store.js";
import { postLooseNotice } from "./post-loose-notice.js";
import { ProgressClock } from "./progress-clock.js";
import { recordUpdatesStopped } from "./record-updates-stopped.js";
import { classifySlackFailure, retryDelayMs, type SlackFailure } from "./slack-failure.js";
import { approvalCard } from "./views/approval-card.js";
import { progressMessage } from "./views/progress-message.js";
import { stepReply } from "./views/step-reply.js";

export interface MessageRefs {
  channel: string;
  cardTs?: string;
  progressTs?: string;
  /** Steps already given a thread reply, with the attempt reported (so retries reply again). */
  replied: Record<string, number>;
}

interface Pending {
  card: boolean;
  progress: boolean;
  replies: Set<string>;
}

/** A run whose messages Slack is refusing: how many times in a row, and the last reason. */
export interface RunUpdateProblem {
  runId: string;
  failures: number;
  failure: SlackFailure;
}

export interface SlackRunNotifierOptions {
  client: WebClient;
  store: RunStore;
  clock: Clock;
  /** Where a run's messages go when neither the request nor the run names a channel. */
  defaultChannel?: string;
  /** The least time between two updates of one run (default 1 s). */
  minIntervalMs?: number;
  /**
   * How long a run's progress message may go without an edit while the run goes on (default 20 s):
   * its elapsed time and time left keep moving while it waits for a person or a retry. One edit per
   * run at most this often, through the same queue and rate limit as every other edit.
   */
  clockRefreshMs?: number;
  /** The longest wait between attempts while Slack keeps failing (default 60 s). */
  maxBackoffMs?: number;
  log?: Logger;
  /** Told once per run when its updates stop for good (the metrics count it). */
  onUpdatesStopped?: (runId: string, failure: SlackFailure) => void;
}

/** Runs whose updates stopped, remembered so their later events are dropped at once. */
const STOPPED_REMEMBERED = 1_000;

/**
 * Turns run transitions into Slack messages: the approval card and the live progress message are
 * each edited in place, at most about once a second (coalesced: the newest persisted state always
 * lands, read fresh from the store at send time), and every finished step gets one thread reply.
 * Slack being slow, rate-limited (the WebClient honours Retry-After) or down never holds up a run.
 *
 * Failures are classified (slack-failure.ts). A transient one is retried with the newest state,
 * waiting twice as long after each failure in a row, at most `maxBackoffMs`. A permanent one (the
 * channel is gone or archived, the bot was removed, the token revoked) stops the run's updates: it
 * is logged once, counted (`onUpdatesStopped`), and written on the run (annotation `slack.updates`
 * and a `run.note` event), where `drbot status` and `show` say it. Memory per run is a fixed few
 * fields, dropped when its messages are up to date and the run has ended.
 */
export class SlackRunNotifier implements RunObserver {
  private readonly pending = new Map<string, Pending>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Per active run with a progress message: the next redraw of its clock. */
  private readonly clocks: ProgressClock;
  /** The channel a request came from, for its first card (the request listener knows it). */
  private readonly channels = new Map<string, string>();
  private readonly lastSent = new Map<string, number>();
  private readonly flushing = new Map<string, Promise<void>>();
  /** Runs whose last flush failed, transiently. */
  private readonly failing = new Map<string, RunUpdateProblem>();
  private readonly stopped = new Set<string>();
  private readonly client: WebClient;
  private readonly store: RunStore;
  private readonly clock: Clock;
  private readonly defaultChannel: string | undefined;
  private readonly minIntervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly log: Logger;

  constructor(private readonly o: SlackRunNotifierOptions) {
    this.client = o.client;
    this.store = o.store;
    this.clock = o.clock;
    this.defaultChannel = o.defaultChannel;
    this.minIntervalMs = o.minIntervalMs ?? 1000;
    this.clocks = new ProgressClock(o.clockRefreshMs ?? 20_000, (runId) => this.redraw(runId));
    this.maxBackoffMs = o.maxBackoffMs ?? 60_000;
    this.log = o.log ?? silentLogger;
  }

  /** Runs whose messages are failing now, transiently (one entry per run, whatever the count). */
  problems(): RunUpdateProblem[] {
    return [...this.failing.values()].map((p) => ({ ...p }));
  }

  /** Whether this process stopped updating the run's messages for good. */
  hasStopped(runId: string): boolean {
    return this.stopped.has(runId);
  }

  /** Where a run's messages live; set when the card is posted. */
  async refs(runId: string): Promise<MessageRefs | undefined> {
    const raw = await this.store.kvGet(`slack:run:${runId}`);
    return raw ? (JSON.parse(raw) as MessageRefs) : undefined;
  }

  private async saveRefs(runId: string, refs: MessageRefs): Promise<void> {
    await this.store.kvSet(`slack:run:${runId}`, JSON.stringify(refs), { ttlMs: 90 * 86_400_000 });
  }

  /**
   * Posts the approval card for a new request (called by the request listener, which knows the
   * channel). The card goes through the run's queue like every later edit: the request's own
   * `run.requested` event schedules the same card, and one queue per run means one card (posting it
   * here directly raced that event and could post two cards when the store is not in memory).
   */
  async postCard(run: RunRecord, channel: string): Promise<MessageRefs> {
    this.channels.set(run.id, channel);
    const p = this.pending.get(run.id) ?? { card: false, progress: false, replies: new Set<string>() };
    p.card = true;
    this.pending.set(run.id, p);
    this.schedule(run.id);
    await this.settled(run.id, 10_000);
    return (await this.refs(run.id)) ?? { channel, replied: {} };
  }

  /** Resolves when nothing is queued or in flight for the run any more (or at the timeout). */
  private async settled(runId: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (
      (this.pending.has(runId) || this.flushing.has(runId) || this.timers.has(runId)) &&
      Date.now() < deadline
    ) {
      // Always race a timer: the queue advances on timers, so waiting on microtasks alone would spin.
      const inFlight = this.flushing.get(runId);
      await Promise.race([...(inFlight ? [inFlight] : []), new Promise((r) => setTimeout(r, 20))]);
    }
  }

  onRunEvent(event: RunEvent, run: RunRecord): void {
    if (this.stopped.has(run.id)) return;
    const p = this.pending.get(run.id) ?? { card: false, progress: false, replies: new Set<string>() };
    if (
      event.type === "run.requested" ||
      event.type === "run.approval" ||
      (event.type === "run.state" &&
        ["pending_approval", "approved", "rejected", "expired", "aborted", "running"].includes(
          String(event.data.state),
        ))
    )
      p.card = true;
    if (run.state !== "pending_approval" && run.state !== "rejected" && run.state !== "expired")
      p.progress = true;
    if (
      (event.type === "step.state" || event.type === "step.observed" || event.type === "step.undo") &&
      event.stepId &&
      isStepFinished(event.data.status as never)
    )
      p.replies.add(event.stepId);
    if (event.type === "run.refusal") return;
    this.pending.set(run.id, p);
    this.schedule(run.id);
  }

  /**
   * Posts a runbook's notice (a `notify` step) in the run's thread, broadcast to the channel so the
   * timeline shows it. When the run's progress message is not out yet, it is let go first (bounded) so the thread exists.
   * Resolves false when the notice has nowhere to go: no channel for the run, or Slack refuses the
   * run's messages for good (a failover is not paused at its announcement for a deleted channel);
   * a passing failure throws (the step fails, and its retries apply).
   */
  async postNotice(notice: Notice): Promise<boolean> {
    if (notice.channel) return postLooseNotice(this.client, this.log, notice.channel, notice);
    let refs = await this.refs(notice.runId);
    if (!refs?.progressTs) {
      // A notice early in a run may come before its progress message is out: let that go first.
      await this.settled(notice.runId, 5_000);
      refs = await this.refs(notice.runId);
    }
    const channel =
      refs?.channel ??
      this.channels.get(notice.runId) ??
      (await this.store.getRun(notice.runId))?.channel ??
      this.defaultChannel;
    if (!channel) return false;
    if (this.stopped.has(notice.runId)) return false;
    const icon = notice.level === "warning" ? ":warning:" : ":mega:";
    const text = `${icon} ${notice.text}`;
    try {
      if (refs?.progressTs)
        await this.client.chat.postMessage({
          channel,
          text,
          thread_ts: refs.progressTs,
          reply_broadcast: true,
        });
      else await this.client.chat.postMessage({ channel, text });
    } catch (error) {
      // Refused for good, the notice has nowhere to go (said like any stop); a passing failure fails the step, which retries.
      const failure = classifySlackFailure(error);
      if (!failure.permanent) throw error;
      this.stop(notice.runId, failure, error);
      return false;
    }
    return true;
  }

  /** Stops redrawing clocks (shutdown): queued edits still go out with `idle`. */
  stopClocks(): void {
    this.clocks.clearAll();
  }

  /** Resolves when everything queued so far has been sent (tests and shutdown). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (
      (this.pending.size > 0 || this.flushing.size > 0 || this.timers.size > 0) &&
      Date.now() < deadline
    ) {
      await Promise.race([...this.flushing.values(), new Promise((r) => setTimeout(r, 20))]);
    }
  }

  private schedule(runId: string): void {
    if (this.timers.has(runId) || this.flushing.has(runId) || this.stopped.has(runId)) return;
    const failures = this.failing.get(runId)?.failures ?? 0;
    const interval = retryDelayMs(failures, this.minIntervalMs, this.maxBackoffMs);
    const wait = Math.max(0, (this.lastSent.get(runId) ?? 0) + interval - Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(runId);
      const work = this.flush(runId)
        .then(
          (ended) => {
            const recovered = this.failing.get(runId);
            if (recovered) {
              this.failing.delete(runId);
              this.log.info("a run's Slack messages are up to date again", {
                operation: "slack.notify-run",
                runId,
                failures: recovered.failures,
              });
            }
            if (ended && !this.pending.has(runId)) this.forget(runId);
          },
          (error: unknown) => this.onFailure(runId, classifySlackFailure(error), error),
        )
        .finally(() => {
          this.flushing.delete(runId);
          this.lastSent.set(runId, Date.now());
          if (this.pending.has(runId)) this.schedule(runId);
        });
      this.flushing.set(runId, work);
    }, wait);
    timer.unref();
    this.timers.set(runId, timer);
  }

  /** A transient failure is retried later (logged when it starts); a permanent one stops the run's updates. */
  private onFailure(runId: string, failure: SlackFailure, error: unknown): void {
    if (failure.permanent) {
      this.stop(runId, failure, error);
      return;
    }
    const known = this.failing.get(runId);
    this.failing.set(runId, { runId, failures: (known?.failures ?? 0) + 1, failure });
    if (known) return;
    this.log.warn(
      `a run's Slack messages could not be brought up to date (${failure.text}); retrying, less often each time`,
      { operation: "slack.notify-run", runId, err: error },
    );
  }

  private stop(runId: string, failure: SlackFailure, error: unknown): void {
    this.pending.delete(runId);
    this.failing.delete(runId);
    this.forget(runId);
    this.stopped.add(runId);
    if (this.stopped.size > STOPPED_REMEMBERED) this.stopped.delete(this.stopped.values().next().value!);
    this.log.error(
      `Slack refuses this run's messages for good (${failure.text}); its updates in Slack stop, the run goes on`,
      { operation: "slack.notify-run", runId, slackError: failure.code, err: error },
    );
    this.o.onUpdatesStopped?.(runId, failure);
    void recordUpdatesStopped(this.store, this.clock, runId, failure).catch((recordError: unknown) =>
      this.log.warn("could not record on the run that its Slack updates stopped", {
        operation: "slack.notify-run",
        runId,
        err: recordError,
      }),
    );
  }

  /** The run's clock is due: its progress is drawn again from the stored run, like any edit. */
  private redraw(runId: string): void {
    if (this.stopped.has(runId)) return;
    const p = this.pending.get(runId) ?? { card: false, progress: false, replies: new Set<string>() };
    p.progress = true;
    this.pending.set(runId, p);
    this.schedule(runId);
  }

  /** Drops what is kept about a run whose messages are final. */
  private forget(runId: string): void {
    this.clocks.clear(runId);
    this.channels.delete(runId);
    this.lastSent.delete(runId);
  }

  /** Sends what is pending; resolves whether the run has ended (its messages are then final). */
  private async flush(runId: string): Promise<boolean> {
    const p = this.pending.get(runId);
    if (!p) return false;
    this.pending.delete(runId);
    try {
      const [run, steps] = await Promise.all([this.store.getRun(runId), this.store.getSteps(runId)]);
      if (!run) return true;
      let refs = await this.refs(runId);
      const channel = refs?.channel ?? this.channels.get(runId) ?? run.channel ?? this.defaultChannel;
      if (!channel) return isTerminal(run.state);
      refs ??= { channel, replied: {} };
      const now = this.clock.now();
      if (p.card) {
        const view = approvalCard(run, now);
        if (refs.cardTs)
          await this.client.chat.update({ channel, ts: refs.cardTs, text: view.text, blocks: view.blocks });
        else
          refs.cardTs = (
            await this.client.chat.postMessage({ channel, text: view.text, blocks: view.blocks })
          ).ts!;
      }
      // A request that ended before any step ran (withdrawn) gets no progress message: its card says it.
      const withdrawn = isTerminal(run.state) && !runStarted(steps) && !refs.progressTs;
      if (p.progress && !withdrawn) {
        const view = progressMessage(run, steps, now);
        if (refs.progressTs)
          await this.client.chat.update({
            channel,
            ts: refs.progressTs,
            text: view.text,
            blocks: view.blocks,
          });
        else
          refs.progressTs = (
            await this.client.chat.postMessage({ channel, text: view.text, blocks: view.blocks })
          ).ts!;
      }
      const thread = refs.progressTs;
      if (thread) {
        for (const step of run.plan.steps) {
          const record = steps.get(step.id);
          if (!record || !isStepFinished(record.status) || refs.replied[step.id] === record.attempts)
            continue;
          const view = stepReply(step, record);
          await this.client.chat.postMessage({
            channel,
            thread_ts: thread,
            text: view.text,
            blocks: view.blocks,
          });
          refs.replied[step.id] = record.attempts;
        }
      }
      await this.saveRefs(runId, refs);
      if (!isTerminal(run.state) && refs.progressTs && !this.stopped.has(runId)) this.clocks.arm(runId);
      return isTerminal(run.state);
    } catch (error) {
      // Keep what was asked for: the next flush sends the newest state.
      const again = this.pending.get(runId) ?? { card: false, progress: false, replies: new Set<string>() };
      this.pending.set(runId, {
        card: again.card || p.card,
        progress: again.progress || p.progress,
        replies: new Set([...again.replies, ...p.replies]),
      });
      throw error;
    }
  }
}
