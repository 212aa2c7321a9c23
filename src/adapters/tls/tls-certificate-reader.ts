import { isIP } from "node:net";
import { connect } from "node:tls";
import { DrError } from "../../domain/errors.js";
import type { CertificateReading } from "../../domain/readiness/certificates.js";
import type { CertificateReader } from "../../ports/certificate-reader.js";

/**
 * Reads an https endpoint's certificate with a TLS handshake on node:tls and nothing else (no HTTP
 * request). The chain and the host name are verified as a client would (against the system's CAs,
 * or `ca` when given) but an untrusted certificate is still read: the reading says why it is not
 * trusted, since an expired or self-signed certificate is exactly what the check must report.
 * Every read has a deadline; the signal cuts it shorter.
 */
export class TlsCertificateReader implements CertificateReader {
  constructor(private readonly options: { ca?: string | string[] } = {}) {}

  read(url: string, options: { signal?: AbortSignal; timeoutMs: number }): Promise<CertificateReading> {
    const target = new URL(url);
    const host = target.hostname.replace(/^\[|\]$/g, "");
    const port = Number(target.port || 443);
    const where = `${host}:${port}`;
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
    return new Promise<CertificateReading>((resolve, reject) => {
      if (signal.aborted) {
        reject(new DrError("timeout", `TLS handshake with ${where}: not started, its deadline had passed`));
        return;
      }
      const socket = connect({
        host,
        port,
        ...(isIP(host) ? {} : { servername: host }),
        rejectUnauthorized: false,
        ...(this.options.ca ? { ca: this.options.ca } : {}),
      });
      const onAbort = () => {
        socket.destroy();
        reject(
          new DrError(
            "timeout",
            `TLS handshake with ${where}: no answer within ${deadline.aborted ? `${options.timeoutMs} ms` : "the caller's deadline"}`,
          ),
        );
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const done = () => signal.removeEventListener("abort", onAbort);
      socket.once("secureConnect", () => {
        done();
        const cert = socket.getPeerCertificate();
        const reading: CertificateReading = {
          subject: distinguishedName(cert.subject),
          issuer: distinguishedName(cert.issuer),
          validFrom: Date.parse(cert.valid_from),
          validTo: Date.parse(cert.valid_to),
          trusted: socket.authorized,
          ...(socket.authorized
            ? {}
            : { untrustedReason: String(socket.authorizationError ?? "not verified") }),
        };
        socket.end();
        resolve(reading);
      });
      socket.once("error", (error) => {
        done();
        socket.destroy();
        reject(new DrError("unavailable", `TLS handshake with ${where}: ${error.message}`));
      });
    });
  }
}

function distinguishedName(name: Record<string, string | string[] | undefined> | undefined): string {
  if (!name) return "(none)";
  const cn = name.CN;
  if (cn) return `CN=${Array.isArray(cn) ? cn.join(",") : cn}`;
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : (v ?? "")}`)
    .join(", ");
}
