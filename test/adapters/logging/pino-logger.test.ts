import { describe, expect, it } from "vitest";
import { createPinoLogger, type PinoLevel } from "../../../src/adapters/logging/pino-logger.js";
import { DrError } from "../../../src/domain/errors.js";

/** A logger writing into a list, with the secrets a test gives it; each line parsed back. */
function capture(level: PinoLevel = "debug", secrets: string[] = []) {
  const written: string[] = [];
  const log = createPinoLogger({ level, write: (line) => written.push(line), secrets: () => secrets });
  // biome-ignore lint/suspicious/noExplicitAny: log lines are asserted field by field
  const lines = () => written.map((line) => JSON.parse(line) as Record<string, any>);
  return { log, written, lines, secrets };
}

const TOKEN = "xoxb-2024-secret-bot-token";
const PASSWORD = "correct horse battery staple";

describe("the JSON logger", () => {
  it("writes one JSON object per line, with its level's name, the time, the message and the context", () => {
    const { log, written, lines } = capture();
    log.info("step finished", {
      operation: "engine.step",
      runId: "failover-1",
      stepId: "scale-up",
      attempt: 2,
    });
    expect(written).toHaveLength(1);
    expect(written[0]!.endsWith("\n")).toBe(true);
    expect(lines()[0]).toMatchObject({
      level: "info",
      msg: "step finished",
      name: "drbot",
      operation: "engine.step",
      runId: "failover-1",
      stepId: "scale-up",
      attempt: 2,
    });
    expect(Date.parse(lines()[0]!.time)).not.toBeNaN();
    expect(lines()[0]!.pid).toBe(process.pid);
  });

  it("writes an error with its type, message, code, stack, details and cause", () => {
    const { log, lines } = capture();
    const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });
    const error = new DrError("unavailable", "Redis is unavailable", { host: "redis-0" }, { cause });
    log.error("could not save the run", { operation: "store.put-run", runId: "failover-1", err: error });
    const err = lines()[0]!.err;
    expect(err).toMatchObject({
      type: "DrError",
      message: "Redis is unavailable",
      code: "unavailable",
      details: { host: "redis-0" },
      cause: { type: "Error", message: "connect ECONNREFUSED 127.0.0.1:6379", code: "ECONNREFUSED" },
    });
    expect(err.stack).toContain("Redis is unavailable");
    expect(err.stack).toContain("pino-logger.test.ts");
  });

  it("writes only the lines at or above its level", () => {
    const { log, lines } = capture("warn");
    log.debug("noise");
    log.info("chatter");
    log.warn("worth a look");
    log.error("broken");
    expect(lines().map((l) => [l.level, l.msg])).toEqual([
      ["warn", "worth a look"],
      ["error", "broken"],
    ]);
    const silent = capture("silent");
    silent.log.error("nobody hears this");
    expect(silent.written).toEqual([]);
  });

  it("carries a child's bindings on each of its lines, under the line's own context", () => {
    const { log, lines } = capture();
    const child = log.child({ component: "engine", runId: "drill-7" }).child({ stepId: "checklist" });
    child.info("waiting for a person", { operation: "engine.wait" });
    child.info("overridden", { runId: "drill-8" });
    expect(lines()[0]).toMatchObject({ component: "engine", runId: "drill-7", stepId: "checklist" });
    expect(lines()[1]!.runId).toBe("drill-8");
  });

  it("never writes a secret it knows, wherever it turns up: message, fields, nested values, errors, bindings", () => {
    const { log, written } = capture("debug", [TOKEN, PASSWORD]);
    const error = new Error(`login failed with ${PASSWORD}`, { cause: new Error(`token ${TOKEN} refused`) });
    log.child({ header: `Bearer-ish ${TOKEN}` }).error(`posting with ${TOKEN} failed`, {
      operation: "slack.post",
      request: { headers: [`x-token ${TOKEN}`], body: { note: PASSWORD } },
      err: error,
    });
    const text = written.join("");
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain("[redacted]");
  });

  it("redacts a secret added after the logger was made (the configuration's passwords come later)", () => {
    const { log, written, secrets } = capture();
    secrets.push("pg-password-added-later");
    log.warn("replica refused pg-password-added-later");
    expect(written.join("")).not.toContain("pg-password-added-later");
  });

  it("redacts what looks like a secret even when nobody said it was one", () => {
    const { log, written } = capture();
    log.warn("misconfigured", {
      url: "redis://:hunter2@redis.example:6379/0",
      slack: "xoxb-123456789-abcdefghij",
      app: "xapp-1-A0-123456789",
      header: "Authorization: Bearer abcdefghijklmnopqrstuvwx",
      yaml: "password: swordfish",
      token: "opaque-value-42",
      signingSecret: "8f14e45fceea167a5a36dedd4bea2543",
    });
    const text = written.join("");
    for (const secret of [
      "hunter2",
      "123456789-abcdefghij",
      "A0-123456789",
      "abcdefghijklmnopqrstuvwx",
      "swordfish",
      "opaque-value-42",
      "8f14e45fceea167a5a36dedd4bea2543",
    ])
      expect(text).not.toContain(secret);
    expect(text).toContain("redis.example");
  });

  it("never throws: a context it cannot read becomes a line saying so", () => {
    const { log, lines } = capture();
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const hostile = Object.defineProperty({}, "boom", {
      enumerable: true,
      get() {
        throw new Error("getter exploded");
      },
    });
    expect(() => log.info("cyclic", { value: cyclic })).not.toThrow();
    expect(() => log.info("hostile", { value: hostile, big: 10n })).not.toThrow();
    expect(lines()[0]!.value).toEqual({ name: "loop", self: "[circular]" });
    expect(lines()[1]).toMatchObject({
      level: "error",
      msg: "hostile",
      operation: "log.write",
      err: { message: "getter exploded" },
    });
  });
});
