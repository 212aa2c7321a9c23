import { describe, expect, it } from "vitest";
import { type CertificateReading, judgeCertificates } from "../../../src/domain/readiness/certificates.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const now = Date.UTC(2026, 11, 4);
const cert = (validForMs: number, trusted = true): CertificateReading => ({
  subject: "CN=api.dr.example.com",
  issuer: "CN=Example CA",
  validFrom: now - 30 * DAY,
  validTo: now + validForMs,
  trusted,
  ...(trusted ? {} : { untrustedReason: "self-signed certificate" }),
});

const judge = (...readings: CertificateReading[]) =>
  judgeCertificates({
    site: "dc2",
    endpoints: readings.map((r, i) => ({
      name: `api-${i}`,
      url: `https://api-${i}.dr.example.com/healthz`,
      reading: { value: r },
    })),
    rtoMs: 2 * HOUR,
    now,
  });

describe("certificates of the standby's health endpoints", () => {
  it("are ready when valid beyond the tier's RTO plus the margin", () => {
    expect(judge(cert(60 * DAY))).toMatchObject({
      verdict: "ready",
      summary: "1 certificate on dc2 valid beyond the RTO plus 7d",
    });
  });

  it("expiring within the RTO plus the margin is degraded; within the RTO or expired, not_ready", () => {
    expect(judge(cert(3 * DAY)).verdict).toBe("degraded");
    expect(judge(cert(HOUR)).verdict).toBe("not_ready");
    const expired = judge(cert(60 * DAY), cert(-DAY));
    expect(expired.verdict).toBe("not_ready");
    expect(expired.summary).toBe("api-1: certificate CN=api.dr.example.com expired 1d ago");
  });

  it("a certificate the endpoint's host cannot be trusted with is degraded, with the reason", () => {
    expect(judge(cert(60 * DAY, false)).evidence).toEqual([
      "api-0: certificate CN=api.dr.example.com not trusted (self-signed certificate)",
    ]);
  });

  it("an endpoint that could not be read is unknown; http endpoints are listed as not TLS", () => {
    const finding = judgeCertificates({
      site: "dc2",
      endpoints: [
        {
          name: "api",
          url: "https://api.dr.example.com/healthz",
          reading: { error: "connect ECONNREFUSED 127.0.0.1:9" },
        },
        { name: "plain", url: "http://api.dr.example.com/healthz", reading: "not_tls" },
      ],
      rtoMs: HOUR,
      now,
    });
    expect(finding.verdict).toBe("unknown");
    expect(finding.evidence).toEqual([
      "api: connect ECONNREFUSED 127.0.0.1:9",
      "plain: http://api.dr.example.com/healthz is not TLS",
    ]);
    expect(judgeCertificates({ site: "dc2", endpoints: [], rtoMs: HOUR, now }).summary).toBe(
      "no TLS health endpoint on dc2 to check",
    );
  });
});
