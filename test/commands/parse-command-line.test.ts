import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../commands/parse-command-line.js";
import { DrError } from "../../src/domain/errors.js";

/** The one parser both surfaces use, read from the command table; refusals in plain words. */
function refusal(words: string[], surface: "slack" | "cli"): string {
  try {
    parseCommandLine(words, surface);
  } catch (error) {
    expect(error).toBeInstanceOf(DrError);
    expect((error as DrError).code).toBe("invalid_input");
    return (error as DrError).message;
  }
  throw new Error(`${words.join(" ")} was not refused`);
}

/** A plan hash as `drbot show` prints it: SHA-256 in hex. */
const HASH = "0123456789abcdef".repeat(4);

describe("parseCommandLine on the CLI", () => {
  it("reads global flags before the command and the command's own after it, with typed values", () => {
    expect(
      parseCommandLine(
        [
          "--config",
          "drbot.yaml",
          "approve",
          "failover-1",
          `--plan=${HASH}`,
          "--as",
          "U0A1",
          "--accept-data-loss",
        ],
        "cli",
      ),
    ).toEqual({
      name: "approve",
      args: ["failover-1"],
      flags: { config: "drbot.yaml", plan: HASH, as: "U0A1", acceptDataLoss: true },
    });
    expect(parseCommandLine(["runs", "--limit", "5"], "cli").flags.limit).toBe(5);
    expect(parseCommandLine(["plan", "failover", "tier1", "--mode", "drill"], "cli")).toMatchObject({
      args: ["failover", "tier1"],
      flags: { mode: "drill" },
    });
  });

  it("reads --version and -h without a command", () => {
    expect(parseCommandLine(["--version"], "cli")).toEqual({
      name: undefined,
      args: [],
      flags: { version: true },
    });
    expect(parseCommandLine(["-h"], "cli").flags.help).toBe(true);
    expect(parseCommandLine([], "cli").name).toBeUndefined();
  });

  it("asks for who is acting and for the plan an approval binds to, in the table's words", () => {
    expect(refusal(["approve", "failover-1", "--plan", HASH], "cli")).toBe(
      "say who you are: --as USER (a Slack user ID, checked like a click in Slack)",
    );
    expect(refusal(["approve", "failover-1", "--as", "U0A1"], "cli")).toBe(
      "approve binds to a plan: pass --plan HASH as shown by `drbot show RUN`",
    );
    expect(refusal(["approve", "failover-1", "--as", "U0A1", "--plan", HASH.slice(0, 16)], "cli")).toBe(
      "--plan takes the 64-character plan hash `drbot show RUN` prints",
    );
  });

  it("refuses a flag the command does not take, naming the command's usage", () => {
    expect(refusal(["show", "failover-1", "--plan", "abc"], "cli")).toBe(
      "--plan does not apply to drbot show RUN",
    );
    expect(refusal(["status", "--as", "U0A1"], "cli")).toBe("--as does not apply to drbot status [tier|app]");
  });

  it("refuses values of the wrong kind, a flag given twice, unknown commands and flags", () => {
    expect(refusal(["runs", "--limit", "many"], "cli")).toBe("--limit takes a whole number from 1 to 1000");
    expect(refusal(["plan", "failover", "--mode", "pretend"], "cli")).toBe("--mode is real or drill");
    expect(refusal(["runs", "--limit", "1", "--limit", "2"], "cli")).toBe("--limit is given twice");
    expect(refusal(["run", "failover", "--as", "U0A1", "--backup", "../etc"], "cli")).toBe(
      "--backup takes a backup name (lowercase letters, digits, '-', '.')",
    );
    expect(refusal(["frobnicate"], "cli")).toBe(
      "unknown command `frobnicate`; the commands are help, status, readiness, validate, plan, run, approve, reject, runs, show, report, abort, resume, skip, tick, serve (drbot help says what each does)",
    );
    expect(refusal(["aprove", "failover-1"], "cli")).toBe(
      "unknown command `aprove`, did you mean `approve`? usage: drbot approve RUN --as USER [--key FILE] --plan HASH [--accept-data-loss] [--accept-not-ready] [--detach]",
    );
    expect(refusal(["failover", "payments"], "cli")).toBe(
      "`failover` is not a drbot command: it is `/dr failover` in Slack (drbot help lists the commands here)",
    );
    expect(refusal(["runs", "--bogus"], "cli")).toBe("unknown flag --bogus; drbot help lists the flags");
    expect(refusal(["--as", "U0A1"], "cli")).toBe("--as needs a command; drbot help lists them");
  });

  it("refuses missing and extra arguments with the usage", () => {
    expect(refusal(["skip", "failover-1", "--as", "U0A1"], "cli")).toBe(
      'STEP is missing; usage: drbot skip RUN STEP --as USER [--key FILE] [--reason "…"] [--detach]',
    );
    expect(refusal(["show", "failover-1", "extra"], "cli")).toBe(
      'too many arguments: "extra"; usage: drbot show RUN',
    );
    expect(refusal(["tick", "failover-1", "fence", "--as", "U0A1"], "cli")).toBe(
      "ITEM is missing; usage: drbot tick RUN STEP ITEM… --as USER [--key FILE] [--detach]",
    );
  });
});

describe("parseCommandLine in Slack", () => {
  it("takes the first word as the command and never reads -x as a flag", () => {
    expect(parseCommandLine(["skip", "failover-1", "-rf"], "slack")).toEqual({
      name: "skip",
      args: ["failover-1", "-rf"],
      flags: {},
    });
    expect(refusal(["skip", "failover-1", "-rf", "x"], "slack")).toBe(
      'too many arguments: "x"; usage: /dr skip RUN STEP [--reason "…"]',
    );
  });

  it("refuses CLI-only flags and commands in Slack's words", () => {
    expect(refusal(["failover", "payments", "--as", "U0A1"], "slack")).toBe(
      '--as does not apply to /dr failover [tier|app…] [--reason "…"] [--backup NAME] [--with-shared] [--dry-run]',
    );
    expect(refusal(["failback", "payments", "--backup", "daily"], "slack")).toBe(
      '--backup does not apply to /dr failback [tier|app…] [--reason "…"] [--with-shared] [--dry-run]',
    );
    expect(refusal(["approve", "failover-1"], "slack")).toBe(
      "`approve` is not a /dr command: it is `drbot approve` on the drbot CLI (/dr help lists the commands here)",
    );
    expect(refusal(["show"], "slack")).toBe("RUN is missing; usage: /dr show RUN");
  });
});
