import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";

/**
 * A wrong environment stops drbot before it does anything, with exit 3 (invalid configuration) and
 * a message naming the variable and why; the value itself is never echoed (it may be a token).
 * Run as a program, as an operator or a pod starts it.
 */
async function serveWith(env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("SLACK_") && name !== "PORT"),
  );
  return execa(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "serve", "--config", "drbot.example.yaml"],
    {
      env: { ...clean, ...env },
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    },
  );
}

describe("drbot with a wrong environment", () => {
  it("exits 3 naming SLACK_SIGNING_SECRET when serve has a bot token and no way to verify requests", async () => {
    const result = await serveWith({ SLACK_BOT_TOKEN: "xoxb-1-secret-bot-token" });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe(
      "The environment is invalid: SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)",
    );
    expect(result.stdout + result.stderr).not.toContain("secret-bot-token");
  });

  it("exits 3 naming SLACK_BOT_TOKEN when it is not a bot token, without echoing it", async () => {
    const result = await serveWith({
      SLACK_BOT_TOKEN: "xoxp-user-token-4711",
      SLACK_SIGNING_SECRET: "s3cret",
    });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe(
      "The environment is invalid: SLACK_BOT_TOKEN must be a bot token (it starts with xoxb-)",
    );
    expect(result.stdout + result.stderr).not.toContain("4711");
    expect(result.stdout + result.stderr).not.toContain("s3cret");
  });

  it("exits 3 naming PORT when it is not a port number", async () => {
    const result = await serveWith({ PORT: "abc" });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe("The environment is invalid: PORT must be a TCP port number (1-65535)");
  });

  it("says it in JSON with --json, for scripts, with every variable that is wrong", async () => {
    let out = "";
    const code = await runCli(["status", "--json"], {
      out: (t) => (out += t),
      err: () => undefined,
      env: { DRBOT_CONFIG: "drbot.example.yaml", PORT: "99999", LOG_LEVEL: "chatty" },
    });
    expect(code).toBe(3);
    expect(JSON.parse(out)).toMatchObject({
      ok: false,
      code: "invalid_environment",
      details: { variables: ["PORT", "LOG_LEVEL"] },
    });
  });

  it("still answers --help and --version, which need no environment", async () => {
    const io = { out: () => undefined, err: () => undefined, env: { PORT: "abc" } };
    expect(await runCli(["--version"], io)).toBe(0);
    expect(await runCli(["--help"], io)).toBe(0);
  });
});
