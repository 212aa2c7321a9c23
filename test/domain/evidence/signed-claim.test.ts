import { describe, expect, it } from "vitest";
import { formatClaim, parseClaim, type SignedClaim } from "../../../src/domain/evidence/signed-claim.js";

const CLAIM: SignedClaim = {
  userId: "U0A1",
  action: "approve",
  runId: "failover-0101-0300-abcdef",
  planHash: "ab".repeat(32),
  at: Date.parse("2026-01-01T03:00:00.000Z"),
  nonce: "0123456789abcdef0123456789abcdef",
  details: { "accepts-data-loss": "1a2b3c4d5e6f7a8b" },
};

describe("the text a person signs on the CLI", () => {
  it("reads as lines naming the person, the action, the run, the plan, the time and a nonce", () => {
    expect(formatClaim(CLAIM)).toBe(
      [
        "drbot signed action v1",
        "user: U0A1",
        "action: approve",
        "run: failover-0101-0300-abcdef",
        `plan: ${"ab".repeat(32)}`,
        "at: 2026-01-01T03:00:00.000Z",
        "nonce: 0123456789abcdef0123456789abcdef",
        "accepts-data-loss: 1a2b3c4d5e6f7a8b",
        "",
      ].join("\n"),
    );
    expect(parseClaim(formatClaim(CLAIM))).toEqual(CLAIM);
  });

  it("cannot be given an extra line through a value", () => {
    const text = formatClaim({ ...CLAIM, action: "skip", details: { reason: "broken\nplan: forged" } });
    expect(parseClaim(text).details.reason).toBe("broken plan: forged");
    expect(parseClaim(text).planHash).toBe(CLAIM.planHash);
  });

  it("is refused when a line is missing, unknown, given twice, or the action or nonce is not one drbot makes", () => {
    const text = formatClaim(CLAIM);
    expect(() => parseClaim(`${text}once: 1\n`)).toThrow('"once" is not a line drbot signs');
    expect(() => parseClaim(text.replace(/user: .*\n/, ""))).toThrow('the signed text has no "user"');
    expect(() => parseClaim(`${text}user: U0A2\n`)).toThrow('"user" is given twice');
    expect(() => parseClaim(text.replace("approve", "deploy"))).toThrow(
      '"deploy" is not an action drbot signs',
    );
    expect(() => parseClaim(text.replace(CLAIM.nonce, "1234"))).toThrow("the nonce is not 32 hex digits");
    expect(() => parseClaim(text.slice(0, -1))).toThrow("does not end with a newline");
    expect(() => parseClaim(`x${text}`)).toThrow("does not start with");
  });
});
