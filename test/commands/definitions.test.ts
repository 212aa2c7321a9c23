import { describe, expect, it } from "vitest";
import { COMMANDS, FLAGS, flagsOf } from "../../commands/definitions.js";
import { cliUsage, commandHelp, slackHelp } from "../../commands/usage.js";
import { VALUE_KINDS } from "../../commands/value-kinds.js";
import { CLI_COMMAND_HANDLERS } from "../../src/cli/commands/cli-command-handlers.js";
import { SLACK_COMMAND_HANDLERS } from "../../src/slack/commands/slack-command-handlers.js";

/**
 * The command table is the source of both surfaces: every command has a handler on each surface it
 * declares and none on a surface it does not, so a command added to the table cannot be missing
 * from Slack or the CLI (the handler maps are typed from the table too: the build fails first).
 */
describe("the command table", () => {
  const handlers = { slack: SLACK_COMMAND_HANDLERS, cli: CLI_COMMAND_HANDLERS } as Record<
    "slack" | "cli",
    Record<string, unknown>
  >;

  for (const surface of ["slack", "cli"] as const)
    it(`gives every command it offers in ${surface} a handler there, and nothing else`, () => {
      const offered = COMMANDS.filter((c) => surface in c).map((c) => c.name);
      for (const name of offered)
        expect(handlers[surface][name], `${surface} handler for ${name}`).toBeTypeOf("function");
      expect(Object.keys(handlers[surface]).sort()).toEqual([...offered].sort());
    });

  it("offers every command somewhere, and every run control on both surfaces", () => {
    for (const c of COMMANDS) expect("slack" in c || "cli" in c, c.name).toBe(true);
    for (const name of ["abort", "resume", "skip", "status", "show", "report", "runs"])
      expect(
        COMMANDS.find((c) => c.name === name),
        name,
      ).toMatchObject({ slack: {}, cli: {} });
  });

  it("reads every flag with a value kind, and asks for --as on the CLI wherever a person acts", () => {
    for (const [name, flag] of Object.entries(FLAGS)) expect(VALUE_KINDS[flag.kind], name).toBeDefined();
    for (const c of COMMANDS) {
      if (!("cli" in c)) continue;
      expect(flagsOf(c, "cli").includes("as"), c.name).toBe(c.who !== "anyone");
    }
  });

  it("writes the help of both surfaces from the table", async () => {
    await expect(`${slackHelp()}\n`).toMatchFileSnapshot("snapshots/slack-help.txt");
    await expect(`${cliUsage()}\n`).toMatchFileSnapshot("snapshots/cli-usage.txt");
    const failover = COMMANDS.find((c) => c.name === "failover")!;
    const approve = COMMANDS.find((c) => c.name === "approve")!;
    await expect(`${commandHelp(failover, "slack")}\n`).toMatchFileSnapshot(
      "snapshots/slack-help-failover.txt",
    );
    await expect(`${commandHelp(approve, "cli")}\n`).toMatchFileSnapshot("snapshots/cli-help-approve.txt");
  });
});
