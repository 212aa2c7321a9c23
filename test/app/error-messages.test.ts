import { describe, expect, it } from "vitest";
import { refusalText } from "../../src/app/error-messages.js";
import { DrError } from "../../src/domain/errors.js";

describe("refusalText", () => {
  const refusal = new DrError(
    "data_loss_not_accepted",
    "this failover would lose 2h of data, beyond the tier1 RPO of 15m, and an approval must accept that loss explicitly",
  );

  it("tells a person on the CLI the flag that accepts a data loss, never a button", () => {
    const text = refusalText(refusal, "cli");
    expect(text).toBe(
      "this failover would lose 2h of data, beyond the tier1 RPO of 15m, and an approval must accept that loss explicitly; approve again with --accept-data-loss, which accepts it",
    );
    expect(text).not.toMatch(/button/i);
  });

  it("tells a person in Slack the card's button, never a flag", () => {
    const text = refusalText(refusal, "slack");
    expect(text).toContain("approve with the card's “Approve, accepting data loss” button");
    expect(text).not.toContain("--accept-data-loss");
  });

  it("leaves a refusal with one way out on every surface as it is", () => {
    const other = new DrError("already_approved", "you already approved this run");
    expect(refusalText(other, "cli")).toBe("you already approved this run");
    expect(refusalText(other, "slack")).toBe("you already approved this run");
  });
});
