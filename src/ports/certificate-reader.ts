import type { CertificateReading } from "../domain/readiness/certificates.js";

/**
 * Reads the certificate an https endpoint presents, by a TLS handshake (no HTTP request is sent).
 * Contract: rejects with DrError (`timeout` at the deadline or when the signal aborts, `unavailable`
 * when nothing answers TLS there); an untrusted certificate is read, not refused: the reading says
 * why it is not trusted.
 */
export interface CertificateReader {
  read(url: string, options: { signal?: AbortSignal; timeoutMs: number }): Promise<CertificateReading>;
}
