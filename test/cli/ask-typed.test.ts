import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { askTyped } from "../../src/cli/ask-typed.js";

function terminal() {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = "";
  output.on("data", (chunk: Buffer) => {
    shown += chunk.toString("utf8");
  });
  return { input, output, isTTY: true, shown: () => shown };
}

describe("askTyped", () => {
  it("shows the question and answers with the line typed", async () => {
    const t = terminal();
    const answer = askTyped(t, "Type payments to confirm: ", 60_000);
    t.input.write("payments\n");
    await expect(answer).resolves.toEqual({ answered: true, text: "payments" });
    expect(t.shown()).toContain("Type payments to confirm: ");
  });

  it("gives no answer when the input ends first (Ctrl-D)", async () => {
    const t = terminal();
    const answer = askTyped(t, "Type payments to confirm: ", 60_000);
    t.input.end();
    await expect(answer).resolves.toEqual({ answered: false, why: "end of input" });
  });

  it("gives no answer on Ctrl-C where the output is a terminal (line editing, keys read one by one)", async () => {
    const t = terminal();
    Object.assign(t.output, { isTTY: true, columns: 80 });
    const answer = askTyped(t, "Type payments to confirm: ", 60_000);
    t.input.write("paym\u0003");
    await expect(answer).resolves.toEqual({ answered: false, why: "interrupted" });
  });

  it("gives no answer once its deadline passes with nothing typed", async () => {
    const t = terminal();
    await expect(askTyped(t, "Type payments to confirm: ", 20)).resolves.toEqual({
      answered: false,
      why: "no answer in time",
    });
  });

  it("stops reading after the answer: a second line is not taken", async () => {
    const t = terminal();
    const answer = askTyped(t, "? ", 60_000);
    t.input.write("first\nsecond\n");
    await expect(answer).resolves.toEqual({ answered: true, text: "first" });
  });
});
