import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../src/adapters/memory/memory-run-store.js";
import { signSlackRequest } from "../../src/emulator/request-signing.js";
import { isReadOnly, ReplayGuard } from "../../src/slack/replay-guard.js";
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

  it("finds requests that are not validly signed unverified, says why, and remembers nothing of them", async () => {
    const { guard, log } = guardAt(start);
    const forged = signSlackRequest("wrong-secret", sec, BODY);
    expect(await guard.check(forged, Buffer.from(BODY))).toBe("unverified");
    expect(await guard.check({}, Buffer.from(BODY))).toBe("unverified");
    expect(await guard.check(signedAt(sec - 6 * 60), Buffer.from(BODY))).toBe("unverified");
    expect(await guard.check(signedAt(sec), Buffer.from(`${BODY}&x=1`))).toBe("unverified");
    expect(log.messages("warn")).toEqual([
      expect.stringContaining("signature does not match"),
      expect.stringContaining("without signature headers"),
      expect.stringContaining("more than 5 minutes ago"),
      expect.stringContaining("signature does not match"),
    ]);
    expect(await guard.check(signedAt(sec), Buffer.from(BODY))).toBe("fresh");
  });

  it("admits a request signed just inside the window and refuses one a second past it, as Bolt does", async () => {
    const { guard } = guardAt(start);
    expect(await guard.check(signedAt(sec - 5 * 60), Buffer.from(BODY))).toBe("fresh");
    expect(await guard.check(signedAt(sec - 5 * 60 - 1), Buffer.from(BODY))).toBe("unverified");
  });

  it("refuses a timestamp that is not whole seconds as sent by Slack, even when signed over those bytes", async () => {
    const { guard } = guardAt(start);
    for (const timestamp of [`0${sec}`, `${sec}.0`, ` ${sec}`, `+${sec}`]) {
      const digest = createHmac("sha256", SECRET).update(`v0:${timestamp}:${BODY}`).digest("hex");
      const headers = { "x-slack-signature": `v0=${digest}`, "x-slack-request-timestamp": timestamp };
      expect(await guard.check(headers, Buffer.from(BODY)), timestamp).toBe("unverified");
    }
  });

  it("refuses a request signed more than five minutes ahead, which it could not remember long enough", async () => {
    const { guard, log } = guardAt(start);
    expect(await guard.check(signedAt(sec + 6 * 60), Buffer.from(BODY))).toBe("from_the_future");
    expect(log.messages("warn")[0]).toContain("ahead");
  });

  it("refuses the same signed request under a mangled signature header, and any header not v0= and 64 hex", async () => {
    const { guard } = guardAt(start);
    const headers = signedAt(sec);
    expect(await guard.check(headers, Buffer.from(BODY))).toBe("fresh");
    const mangled = { ...headers, "x-slack-signature": `${headers["x-slack-signature"]}=x` };
    expect(await guard.check(mangled, Buffer.from(BODY))).toBe("malformed");
    const upper = { ...headers, "x-slack-signature": headers["x-slack-signature"].toUpperCase() };
    expect(await guard.check(upper, Buffer.from(BODY))).toBe("malformed");
  });

  it("keys on the signature's digest, so a request seen once is a replay whatever else changes around it", async () => {
    const { guard } = guardAt(start);
    const headers = signedAt(sec);
    expect(await guard.check(headers, Buffer.from(BODY))).toBe("fresh");
    expect(await guard.check({ ...headers, "x-slack-retry-num": "1" }, Buffer.from(BODY))).toBe("replay");
  });

  it("tells read-only commands (status, runs, show, report, help) from everything that changes a run", () => {
    const form = (fields: Record<string, string>) => Buffer.from(new URLSearchParams(fields).toString());
    expect(isReadOnly(form({ command: "/dr", text: "status" }))).toBe(true);
    expect(isReadOnly(form({ command: "/dr", text: "" }))).toBe(true);
    expect(isReadOnly(form({ command: "/dr", text: "show failover-1" }))).toBe(true);
    expect(isReadOnly(form({ command: "/dr", text: "failover tier1 --reason x" }))).toBe(false);
    expect(isReadOnly(form({ command: "/dr", text: "skip failover-1 a --reason x" }))).toBe(false);
    expect(isReadOnly(form({ payload: JSON.stringify({ type: "block_actions" }) }))).toBe(false);
  });

  it("cannot check a fresh request when the store fails or does not answer in time, and says so", async () => {
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
    expect(log.messages("warn")[0]).toContain(
      "failed (redis unavailable); only a read-only command is admitted",
    );
    expect(log.messages("warn")[1]).toContain("did not answer within 500 ms");
  });
});
