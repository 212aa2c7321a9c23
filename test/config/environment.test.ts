import { describe, expect, it } from "vitest";
import {
  environmentSchema,
  environmentSecrets,
  environmentVariables,
  parseEnvironment,
} from "../../src/config/environment.js";
import { DrError } from "../../src/domain/errors.js";

/** The DrError parseEnvironment throws for `raw`. */
function refusal(raw: Record<string, string>): DrError {
  try {
    parseEnvironment(raw);
  } catch (error) {
    if (error instanceof DrError) return error;
    throw error;
  }
  throw new Error("the environment was accepted");
}

describe("the environment", () => {
  it("gives every variable its default when nothing is set", () => {
    expect(parseEnvironment({})).toMatchObject({
      PORT: 3000,
      MANAGEMENT_PORT: 9090,
      BIND_ADDRESS: "0.0.0.0",
      DRBOT_RUNBOOKS: "runbooks",
      LOG_LEVEL: "info",
      SLACK_SOCKET_MODE: false,
    });
  });

  it("reads each variable typed: the port as a number, Socket Mode as a boolean", () => {
    const env = parseEnvironment({
      SLACK_BOT_TOKEN: "xoxb-1-abc",
      SLACK_APP_TOKEN: "xapp-1-abc",
      SLACK_SIGNING_SECRET: "s3cret",
      SLACK_SOCKET_MODE: "true",
      PORT: "8080",
      BIND_ADDRESS: "127.0.0.1",
      REDIS_URL: "rediss://:pw@redis.example:6380/0",
      LOG_LEVEL: "debug",
    });
    expect(env).toMatchObject({ PORT: 8080, SLACK_SOCKET_MODE: true, LOG_LEVEL: "debug" });
  });

  it("keeps every variable by name for the ones the configuration names (passwords)", () => {
    expect(parseEnvironment({ PG_PASSWORD: "hunter2" }).named.PG_PASSWORD).toBe("hunter2");
  });

  it("refuses a management port that is the port Slack posts to", () => {
    const error = refusal({
      SLACK_BOT_TOKEN: "xoxb-bot",
      SLACK_SIGNING_SECRET: "signing",
      PORT: "8080",
      MANAGEMENT_PORT: "8080",
    });
    expect(error.message).toBe(
      "MANAGEMENT_PORT must differ from PORT: operations endpoints never share the port Slack posts to",
    );
    expect(parseEnvironment({ PORT: "8080", MANAGEMENT_PORT: "8080" }).MANAGEMENT_PORT).toBe(8080);
  });

  it("counts an empty variable as unset", () => {
    expect(parseEnvironment({ PORT: "", SLACK_BOT_TOKEN: "" })).toMatchObject({ PORT: 3000 });
    expect(parseEnvironment({ SLACK_BOT_TOKEN: "" }).SLACK_BOT_TOKEN).toBeUndefined();
  });

  it("refuses a bot token that is not one, naming the variable and never showing the value", () => {
    const error = refusal({ SLACK_BOT_TOKEN: "xoxp-user-token-value", SLACK_SIGNING_SECRET: "s" });
    expect(error.code).toBe("invalid_environment");
    expect(error.message).toBe("SLACK_BOT_TOKEN must be a bot token (it starts with xoxb-)");
    expect(JSON.stringify(error)).not.toContain("user-token-value");
  });

  it("refuses a port that is not a number, or out of range", () => {
    expect(refusal({ PORT: "abc" }).message).toBe("PORT must be a TCP port number (1-65535)");
    expect(refusal({ PORT: "70000" }).message).toBe("PORT must be a TCP port number (1-65535)");
    expect(refusal({ PORT: "0" }).message).toBe("PORT must be a TCP port number (1-65535)");
  });

  it("requires the signing secret in HTTP mode and the app token in Socket Mode", () => {
    expect(refusal({ SLACK_BOT_TOKEN: "xoxb-1" }).message).toBe(
      "SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)",
    );
    expect(refusal({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SOCKET_MODE: "true" }).message).toBe(
      "SLACK_APP_TOKEN is required in Socket Mode",
    );
  });

  it("names every wrong variable at once, each with why", () => {
    const error = refusal({
      SLACK_APP_TOKEN: "xoxb-not-an-app-token",
      LOG_LEVEL: "loud",
      REDIS_URL: "http://redis.example",
      BIND_ADDRESS: "not an address",
      SLACK_SOCKET_MODE: "yes",
    });
    expect(error.details.variables).toEqual([
      "SLACK_APP_TOKEN",
      "SLACK_SOCKET_MODE",
      "BIND_ADDRESS",
      "REDIS_URL",
      "LOG_LEVEL",
    ]);
    expect(error.message).toContain(
      "LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent",
    );
    expect(error.message).toContain("REDIS_URL must be a redis:// or rediss:// URL");
    expect(error.message).not.toContain("not-an-app-token");
    expect(error.message).not.toContain("redis.example");
  });

  it("lists the values of its secret variables, for redaction", () => {
    const env = parseEnvironment({
      SLACK_BOT_TOKEN: "xoxb-bot",
      SLACK_SIGNING_SECRET: "signing",
      PORT: "3001",
      DRBOT_SITE: "dc2",
    });
    expect(environmentSecrets(env).sort()).toEqual(["signing", "xoxb-bot"]);
    const withUrl = parseEnvironment({ REDIS_URL: "redis://drbot:p%40ss@redis.example:6379" });
    expect(environmentSecrets(withUrl).sort()).toEqual(["p%40ss", "p@ss"]);
  });

  it("documents every variable it reads, with its default", () => {
    const rows = environmentVariables();
    expect(rows.map((r) => r.name)).toEqual(Object.keys(environmentSchema.shape));
    for (const row of rows) expect(row.description, row.name).not.toBe("");
    expect(rows.find((r) => r.name === "PORT")).toMatchObject({ fallback: "3000", secret: false });
    expect(rows.find((r) => r.name === "SLACK_BOT_TOKEN")).toMatchObject({ secret: true });
    expect(rows.find((r) => r.name === "REDIS_URL")).toMatchObject({ secret: "password-in-url" });
  });
});
