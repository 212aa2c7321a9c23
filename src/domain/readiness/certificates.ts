import { formatMs } from "../duration.js";
import { capLines } from "./evidence.js";
import type { ReadinessFinding, ReadinessVerdict } from "./readiness.js";
import { worstVerdict } from "./readiness.js";
import { isRead, type Read } from "./site-objects.js";

/** The default margin beyond the tier's RTO a DR certificate must stay valid for. */
export const DEFAULT_CERTIFICATE_MARGIN_MS = 7 * 86_400_000;

/** What the TLS handshake with a health endpoint showed of its certificate. */
export interface CertificateReading {
  subject: string;
  issuer: string;
  validFrom: number;
  validTo: number;
  /** The chain verified against the trusted CAs for the endpoint's host name. */
  trusted: boolean;
  /** Why not, in the TLS library's words. */
  untrustedReason?: string;
}

export interface EndpointCertificate {
  name: string;
  url: string;
  /** `not_tls` for an http URL: nothing to check. */
  reading: Read<CertificateReading> | "not_tls";
}

/**
 * Certificates of the standby's health endpoints (the https URLs of the application's health checks
 * on that site). Expired, or expiring before a failover started now could be finished (the tier's
 * RTO), is `not_ready`; expiring within the RTO plus the margin, or not trusted, is `degraded`; an
 * endpoint that could not be read is `unknown` with why. http endpoints are listed as not TLS.
 */
export function judgeCertificates(input: {
  site: string;
  endpoints: readonly EndpointCertificate[];
  rtoMs: number;
  marginMs?: number;
  now: number;
}): ReadinessFinding {
  const margin = input.marginMs ?? DEFAULT_CERTIFICATE_MARGIN_MS;
  const judged = input.endpoints.map((e): { verdict: ReadinessVerdict; line: string } => {
    if (e.reading === "not_tls") return { verdict: "ready", line: `${e.name}: ${e.url} is not TLS` };
    if (!isRead(e.reading)) return { verdict: "unknown", line: `${e.name}: ${e.reading.error}` };
    const c = e.reading.value;
    const left = c.validTo - input.now;
    const expires = `expires ${new Date(c.validTo).toISOString()}`;
    if (left <= 0)
      return {
        verdict: "not_ready",
        line: `${e.name}: certificate ${c.subject} expired ${formatMs(-left)} ago`,
      };
    if (c.validFrom > input.now)
      return {
        verdict: "not_ready",
        line: `${e.name}: certificate ${c.subject} not valid before ${new Date(c.validFrom).toISOString()}`,
      };
    if (left <= input.rtoMs)
      return {
        verdict: "not_ready",
        line: `${e.name}: certificate ${c.subject} ${expires}, within the RTO of ${formatMs(input.rtoMs)}`,
      };
    if (left <= input.rtoMs + margin)
      return {
        verdict: "degraded",
        line: `${e.name}: certificate ${c.subject} ${expires}, within the RTO plus ${formatMs(margin)}`,
      };
    if (!c.trusted)
      return {
        verdict: "degraded",
        line: `${e.name}: certificate ${c.subject} not trusted (${c.untrustedReason ?? "no reason given"})`,
      };
    return { verdict: "ready", line: `${e.name}: ${c.subject} ${expires} (in ${formatMs(left)})` };
  });
  const tls = input.endpoints.filter((e) => e.reading !== "not_tls").length;
  if (tls === 0)
    return {
      check: "certificates",
      verdict: "ready",
      summary: `no TLS health endpoint on ${input.site} to check`,
      evidence: judged.map((j) => j.line),
    };
  const verdict = worstVerdict(judged.map((j) => j.verdict));
  return {
    check: "certificates",
    verdict,
    summary:
      verdict === "ready"
        ? `${tls} ${tls === 1 ? "certificate" : "certificates"} on ${input.site} valid beyond the RTO plus ${formatMs(margin)}`
        : judged.find((j) => j.verdict === verdict)!.line,
    evidence: capLines(judged.map((j) => j.line)),
    ...(verdict === "ready"
      ? {}
      : {
          action:
            verdict === "unknown"
              ? `find out why ${input.site}'s health endpoint does not answer TLS`
              : `renew the certificate on ${input.site} before a failover needs it`,
        }),
  };
}
