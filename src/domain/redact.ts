/**
 * Secrets never reach Slack, reports or logs. Step output passes through here: known secret values
 * (tokens and passwords the process holds) and well-known secret shapes are replaced.
 */
const SECRET_SHAPES: RegExp[] = [
  /xox[abposr]-[A-Za-z0-9-]{8,}/g,
  /xapp-[A-Za-z0-9-]{8,}/g,
  /(authorization:\s*(?:bearer|basic)\s+)[^\s"']+/gi,
  /(bearer\s+)[A-Za-z0-9._~+/=-]{12,}/gi,
  /((?:password|passwd|pwd|secret|token|api[_-]?key|client-key-data|client-certificate-data|certificate-authority-data)["']?\s*[:=]\s*["']?)[^\s"',}]+/gi,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /(\/\/[^:/\s@]*:)[^@/\s]+@/g,
  // Slack's response_url and trigger_id (capabilities) and its verification token in a kept request:
  // a form field, JSON, and JSON inside a form field.
  /((?:response_url|trigger_id)=)[^&\s]+/gi,
  /((?:response_url|trigger_id)"\s*:\s*")[^"]+/gi,
  /((?:response_url|trigger_id|token)%22%3A%22)(?:(?!%22)[^&\s])+/gi,
];

export const REDACTED = "[redacted]";

export function redact(text: string, knownSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  for (const shape of SECRET_SHAPES) {
    out = out.replace(shape, (match, prefix?: unknown) =>
      typeof prefix === "string" && match.startsWith(prefix) ? `${prefix}${REDACTED}` : REDACTED,
    );
  }
  return out;
}

/** Keeps the head and the tail of long output; the tail usually says why something failed. */
export function truncateOutput(text: string, maxChars = 4000): string {
  if (text.length <= maxChars) return text;
  const head = Math.floor(maxChars * 0.3);
  const tail = maxChars - head - 40;
  return `${text.slice(0, head)}\n… [${text.length - head - tail} characters cut] …\n${text.slice(-tail)}`;
}
