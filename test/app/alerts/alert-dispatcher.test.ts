import { describe, expect, it } from "vitest";
import { AlertDispatcher } from "../../../src/app/alerts/alert-dispatcher.js";
import type { DrAlert } from "../../../src/domain/dr-alert.js";
import type { AlertChannel } from "../../../src/ports/alert-channel.js";
import { recordingLogger } from "../../support/recording-logger.js";

/** A channel that records what it was given, failing the first `failures` sends or hanging on each. */
function channel(name: string, behaviour: { failures?: number; hang?: boolean } = {}) {
  const sent: DrAlert[] = [];
  let failures = behaviour.failures ?? 0;
  const c: AlertChannel & { sent: DrAlert[]; attempts: number } = {
    name,
    sent,
    attempts: 0,
    async send(alert, signal) {
      c.attempts++;
      if (behaviour.hang)
        await new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(new Error(`${name}: deadline`))),
        );
      if (failures-- > 0) throw new Error(`${name}: connection refused`);
      sent.push(alert);
    },
  };
  return c;
}

const alert = (over: Partial<DrAlert> = {}): DrAlert => ({
  key: "watch:dc1-1",
  kind: "watch",
  status: "firing",
  severity: "critical",
  summary: "Primary site dc1 is down",
  details: [],
  at: 0,
  labels: { site: "dc1" },
  ...over,
});

describe("the alert dispatcher", () => {
  it("hands each alert to every channel on its own: a failing one delays nobody and is retried", async () => {
    const email = channel("email", { failures: 2 });
    const hook = channel("webhook");
    const log = recordingLogger();
    const alerts = new AlertDispatcher({
      channels: [email, hook],
      kinds: ["watch", "run"],
      timeoutMs: 1_000,
      logger: log,
      retryDelaysMs: [1, 1, 1],
    });
    alerts.notify(alert());
    await alerts.idle();
    expect(hook.sent).toHaveLength(1);
    expect(email.sent).toHaveLength(1);
    expect(email.attempts).toBe(3);
    expect(log.messages("warn")).toEqual([
      "alert not delivered; trying again in 1 ms",
      "alert not delivered; trying again in 1 ms",
    ]);
  });

  it("sends a condition once per status, so a caller that repeats itself sends one email", async () => {
    const email = channel("email");
    const alerts = new AlertDispatcher({
      channels: [email],
      kinds: ["watch"],
      timeoutMs: 1_000,
      logger: recordingLogger(),
    });
    alerts.notify(alert());
    alerts.notify(alert());
    alerts.notify(alert({ status: "resolved" }));
    alerts.notify(alert({ status: "resolved" }));
    await alerts.idle();
    expect(email.sent.map((a) => a.status)).toEqual(["firing", "resolved"]);
  });

  it("sends only the kinds it is told to, and a late channel only its own kinds", async () => {
    const email = channel("email");
    const slack = channel("slack");
    const alerts = new AlertDispatcher({
      channels: [email],
      kinds: ["rpo", "run"],
      timeoutMs: 1_000,
      logger: recordingLogger(),
    });
    alerts.addChannel(slack, ["rpo", "lag"]);
    alerts.notify(alert());
    alerts.notify(alert({ key: "rpo:tier1", kind: "rpo" }));
    alerts.notify(alert({ key: "run:x", kind: "run" }));
    await alerts.idle();
    expect(email.sent.map((a) => a.key)).toEqual(["rpo:tier1", "run:x"]);
    // lag is not among the configured events: the late channel gets rpo only.
    expect(slack.sent.map((a) => a.key)).toEqual(["rpo:tier1"]);
    expect(alerts.wants("watch")).toBe(false);
  });

  it("gives up a delivery at its deadline, logs it, and settles a shutdown within its bound", async () => {
    const stuck = channel("email", { hang: true });
    const log = recordingLogger();
    const alerts = new AlertDispatcher({
      channels: [stuck],
      kinds: ["watch"],
      timeoutMs: 20,
      logger: log,
      retryDelaysMs: [60_000],
    });
    alerts.notify(alert());
    // The first attempt ends at its 20 ms deadline; the retry waits a minute, and settle cuts it.
    await alerts.settle(200);
    await alerts.idle();
    expect(stuck.attempts).toBe(1);
    expect(log.lines.map((l) => [l.level, l.message])).toEqual([
      ["warn", "alert not delivered; trying again in 60000 ms"],
      ["error", "alert not delivered; drbot is stopping"],
    ]);
    expect(String(log.lines[0]!.context.err)).toContain("email: deadline");
  });
});
