import { readFileSync } from "node:fs";
import { createTransport } from "nodemailer";
import type { DrAlert } from "../../domain/dr-alert.js";
import { DrError } from "../../domain/errors.js";
import type { EmailConfig } from "../../domain/notifications-config.js";
import { redact } from "../../domain/redact.js";
import type { AlertChannel } from "../../ports/alert-channel.js";
import { emailSubject, emailText } from "./alert-payloads.js";

/**
 * Alerts by email through an SMTP server (nodemailer's SMTP client: STARTTLS, implicit TLS, AUTH,
 * timeouts on connect, greeting and every socket read). One SMTP session per alert: alerts are rare,
 * and a session kept open would be one more thing to go stale during an outage. The password comes
 * from the environment variable the configuration names and never appears in an error.
 */
export class SmtpAlertChannel implements AlertChannel {
  readonly name = "email";
  private readonly auth: { user: string; pass: string } | undefined;
  private readonly ca: string | undefined;

  constructor(
    private readonly config: EmailConfig,
    env: NodeJS.ProcessEnv,
    private readonly timeoutMs: number,
  ) {
    const { usernameEnv, passwordEnv, caFile } = config.smtp;
    if (usernameEnv || passwordEnv) {
      const user = usernameEnv ? env[usernameEnv] : undefined;
      const pass = passwordEnv ? env[passwordEnv] : undefined;
      const missing = [
        usernameEnv && !user ? usernameEnv : "",
        passwordEnv && !pass ? passwordEnv : "",
      ].filter(Boolean);
      if (missing.length > 0 || !user || !pass)
        throw new DrError(
          "invalid_config",
          `notifications.email.smtp needs ${missing.join(" and ") || "both usernameEnv and passwordEnv"} set in the environment`,
        );
      this.auth = { user, pass };
    }
    if (caFile) this.ca = readFileSync(caFile, "utf8");
  }

  async send(alert: DrAlert, signal: AbortSignal): Promise<void> {
    const { host, port, security } = this.config.smtp;
    const transport = createTransport({
      pool: true,
      maxConnections: 1,
      host,
      port,
      secure: security === "tls",
      requireTLS: security === "starttls",
      ignoreTLS: security === "none",
      ...(this.auth ? { auth: this.auth } : {}),
      ...(this.ca ? { tls: { ca: this.ca } } : {}),
      connectionTimeout: this.timeoutMs,
      greetingTimeout: this.timeoutMs,
      socketTimeout: this.timeoutMs,
    });
    const where = `email to ${this.config.to.join(", ")} through ${host}:${port}`;
    // nodemailer takes no signal: the deadline closes the pool, which fails the session in flight.
    const onAbort = () => transport.close();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      if (signal.aborted) throw new Error("aborted");
      await transport.sendMail({
        from: this.config.from,
        to: this.config.to,
        subject: emailSubject(alert, this.config.subjectPrefix),
        text: emailText(alert),
        headers: { "X-Drbot-Alert": alert.key },
      });
    } catch (error) {
      if (signal.aborted) throw new Error(`${where}: no answer before the deadline`);
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${where}: ${redact(message, this.auth ? [this.auth.pass] : [])}`);
    } finally {
      signal.removeEventListener("abort", onAbort);
      transport.close();
    }
  }
}
