import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { signSlackRequest } from "../../src/emulator/request-signing.js";
import { ReplayGuard } from "../../src/slack/replay-guard.js";
import { recordingLogger } from "../support/recording-logger.js";

const SECRET = "replay-guard-secret";
const BODY = "command=%2Fdr&text=abort+failover-1&trigger_id=1.2.abc";

function guardAt(startMs: number) {
  let now = startMs;
  const clock = { now: () => now };
  const log = recordingLogger();
  const guard = new ReplayGuard({ store: new MemoryRunStore(clock), clock, signingSecret: SECRET, log });
  const advance = (ms: number) => {
    now += ms;
  };
  return { guard, log, advance };
}

const signedAt = (sec: number, body = BODY) => signSlackRequest(SECRET, sec, body);

describe("the replay guard", () => {
  const start = 1_750_000_000_000;
  const sec = start / 1000;

  it("admits a signed request once and refuses the same timestamp and signature after", async () => {
    const { guard, log } = guardAt(start);
    expect(await guard.check(signedAt(sec), Buffer.from(BODY))).toBe("fresh");
    expect(await guard.check(signedAt(sec), Buffer.from(BODY))).toBe("replay");
    expect(log.messages("warn")).toHaveLength(1);
    expect(log.messages("warn")[0]).toContain("replayed");
    expect(log.messages("warn")[0]).not.toContain(signedAt(sec)["x-slack-signature"].slice(3));
  });

  it("admits the same body signed again at another second (Slack's retry)", async () => {
    const { guard } = guardAt(start);
    expect(await guard.check(signedAt(sec), Buffer.from(BODY))).toBe("fresh");
    expect(await guard.check(signedAt(sec + 3), Buffer.from(BODY))).toBe("fresh");
  });

  it("still remembers a request until its timestamp has left the five-minute window", async () => {
    const { guard, advance } = guardAt(start);
    expect(await guard.check(signedAt(sec), Buffer.from(BODY))).toBe("fresh");
    advance(5 * 60_000 - 1_000);
    expect(await guard.check(signedAt(sec), Buffer.from(BODY))).toBe("replay");
  });

  it("leaves requests that are not validly signed to Bolt, and remembers nothing of them", async () => {
    const { guard } = guardAt(start);
    const forged = signSlackRequest("wrong-secret", sec, BODY);
    expect(await guard.check(forged, Buffer.from(BODY))).toBe("unverified");
    expect(await guard.check({}, Buffer.from(BODY))).toBe("unverified");
    expect(await guard.check(signedAt(sec - 6 * 60), Buffer.from(BODY))).toBe("unverified");
    expect(await guard.check(signedAt(sec), Buffer.from(`${BODY}&x=1`))).toBe("unverified");
    expect(await guard.check(signedAt(sec), Buffer.from(BODY))).toBe("fresh");
  });

  it("refuses a request signed more than five minutes ahead, which it could not remember long enough", async () => {
    const { guard, log } = guardAt(start);
    expect(await guard.check(signedAt(sec + 6 * 60), Buffer.from(BODY))).toBe("from_the_future");
    expect(log.messages("warn")[0]).toContain("ahead");
  });

  it("admits a fresh request unchecked, and says so, when the store fails or does not answer in time", async () => {
    const log = recordingLogger();
    const clock = { now: () => start };
    const failing = Object.assign(new MemoryRunStore(clock), {
      dedupe: async () => Promise.reject(new Error("redis unavailable")),
    });
    const hanging = Object.assign(new MemoryRunStore(clock), {
      dedupe: () => new Promise<never>(() => {}),
    });
    for (const store of [failing, hanging]) {
      const guard = new ReplayGuard({ store, clock, signingSecret: SECRET, log });
      expect(await guard.check(signedAt(sec), Buffer.from(BODY))).toBe("unchecked");
    }
    expect(log.messages("warn")[0]).toContain("failed (redis unavailable)");
    expect(log.messages("warn")[1]).toContain("did not answer within 500 ms");
  });
});
