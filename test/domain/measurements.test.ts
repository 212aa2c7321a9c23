import { describe, expect, it } from "vitest";
import { formatMs, parseDuration } from "../../src/domain/duration.js";
import { redact, truncateOutput } from "../../src/domain/redact.js";
import { measureRto } from "../../src/domain/rto.js";

describe("RTO", () => {
  it("splits the time into detection, decision, activation and validation against the target", () => {
    const m = measureRto(
      {
        detectedAt: 0,
        requestedAt: 60_000,
        approvedAt: 180_000,
        activationStartedAt: 181_000,
        activationEndedAt: 600_000,
        validationEndedAt: 900_000,
      },
      7_200_000,
      1_000_000,
    );
    expect(m).toMatchObject({
      detectionMs: 60_000,
      decisionMs: 120_000,
      activationMs: 419_000,
      validationMs: 300_000,
      totalMs: 900_000,
      met: true,
      finished: true,
      remainingMs: 6_300_000,
    });
  });

  it("counts running phases up to now", () => {
    const m = measureRto({ requestedAt: 0, approvedAt: 10_000, activationStartedAt: 10_000 }, 20_000, 30_000);
    expect(m).toMatchObject({ activationMs: 20_000, totalMs: 30_000, remainingMs: -10_000, met: undefined });
  });
});

describe("durations", () => {
  it("parses and prints the forms people write", () => {
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("soon")).toBeUndefined();
    expect(formatMs(5_400_000)).toBe("1h 30m");
    expect(formatMs(42_000)).toBe("42s");
    expect(formatMs(90_061_000)).toBe("1d 1h");
    expect(formatMs(7_140_000)).toBe("1h 59m");
    expect(formatMs(900_000)).toBe("15m");
    expect(formatMs(870_000)).toBe("14m 30s");
    expect(formatMs(4_200)).toBe("4.2s");
    expect(formatMs(59_600)).toBe("1m");
    expect(formatMs(88_200_000)).toBe("1d 30m");
    expect(formatMs(7_180_000)).toBe("2h");
    expect(formatMs(9_960)).toBe("10s");
    expect(formatMs(40 * 86_400_000)).toBe("40d");
    expect(formatMs(-120_000)).toBe("-2m");
  });
});

describe("redaction", () => {
  it("removes tokens, passwords, private keys and known secret values", () => {
    const text =
      "token xoxb-123456789-abcdefgh password=hunter2 redis://user:s3cret@127.0.0.1 my-known-secret\n-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----";
    const out = redact(text, ["my-known-secret"]);
    for (const secret of ["xoxb-123456789", "hunter2", "s3cret", "my-known-secret", "abc\n"])
      expect(out).not.toContain(secret);
    expect(out).toContain("password=[redacted]");
  });

  it("keeps the head and the tail of long output", () => {
    const out = truncateOutput(`start${"x".repeat(10_000)}end`, 1000);
    expect(out.length).toBeLessThan(1100);
    expect(out.startsWith("start")).toBe(true);
    expect(out.endsWith("end")).toBe(true);
  });
});
