import { describe, expect, it } from "vitest";
import { clickProves, commandProves } from "../../../src/domain/evidence/slack-binding.js";

describe("a signed Slack request proves only the act it is", () => {
  it("a click proves its own button's action on the run it carries", () => {
    expect(
      clickProves({ actionId: "dr:abort", value: "run-A" }, { action: "abort", runId: "run-A" }),
    ).toBeUndefined();
    expect(
      clickProves({ actionId: "dr:resume", value: "run-A" }, { action: "resume", runId: "run-A" }),
    ).toBeUndefined();
  });

  it("a click on another button, another run or another step proves nothing", () => {
    expect(
      clickProves({ actionId: "dr:resume", value: "run-A" }, { action: "abort", runId: "run-A" }),
    ).toMatch(/not a abort button/);
    expect(
      clickProves({ actionId: "dr:abort", value: "run-A" }, { action: "abort", runId: "run-B" }),
    ).toMatch(/not on run-B/);
    expect(
      clickProves(
        { actionId: "dr:tick:0", value: "run-A|check|0" },
        { action: "tick", runId: "run-A", step: "other" },
      ),
    ).toMatch(/not on step other/);
    // No button skips or pauses: those are commands with a reason.
    expect(
      clickProves({ actionId: "dr:abort", value: "run-A" }, { action: "skip", runId: "run-A", step: "s" }),
    ).toBeDefined();
    expect(
      clickProves({ actionId: "dr:abort", value: "run-A" }, { action: "pause", runId: "run-A" }),
    ).toBeDefined();
  });

  it("a checklist tick and an approval gate prove a tick on their step", () => {
    const tick = { action: "tick" as const, runId: "run-A", step: "check" };
    expect(clickProves({ actionId: "dr:tick:2", value: "run-A|check|2" }, tick)).toBeUndefined();
    expect(clickProves({ actionId: "dr:gate", value: "run-A|check" }, tick)).toBeUndefined();
  });

  it("a /dr command proves its own subcommand on the run (and step) it names", () => {
    const skip = { action: "skip" as const, runId: "run-A", step: "dns" };
    expect(
      commandProves({ command: "/dr", text: 'skip run-A dns --reason "done by hand"' }, skip),
    ).toBeUndefined();
    expect(commandProves({ command: "/dr", text: "skip run-A other --reason x" }, skip)).toMatch(/step dns/);
    expect(commandProves({ command: "/dr", text: "abort run-A" }, skip)).toMatch(/not \/dr skip/);
    expect(
      commandProves({ command: "/dr", text: "pause run-B" }, { action: "pause", runId: "run-A" }),
    ).toMatch(/not about run-A/);
    expect(
      commandProves({ command: "/other", text: "pause run-A" }, { action: "pause", runId: "run-A" }),
    ).toBeDefined();
  });
});
