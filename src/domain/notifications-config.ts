import { z } from "zod";
import { durationSchema } from "./duration.js";

/**
 * Where alerts go besides Slack, so they reach people when Slack is part of the outage (the
 * strategy's `mail ops-team@example.com`): email through an SMTP server, and webhooks in the
 * Alertmanager (POST /api/v2/alerts) or PagerDuty Events API v2 formats. Secrets are named by the
 * environment variable that holds them, never written here.
 */
const envVarName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name like SMTP_PASSWORD");

export const ALERT_KINDS = ["watch", "rpo", "lag", "run"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

const emailSchema = z
  .object({
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65_535).default(587),
        /** tls: TLS from the first byte (port 465); starttls: upgrade, required (587); none: plain (a relay on loopback). */
        security: z.enum(["starttls", "tls", "none"]).default("starttls"),
        usernameEnv: envVarName.optional(),
        passwordEnv: envVarName.optional(),
        /** A CA bundle to trust for the server's certificate, beside the system's. */
        caFile: z.string().min(1).optional(),
      })
      .strict(),
    from: z.email(),
    to: z.array(z.email()).min(1),
    /** Text before every subject, so filters can route drbot's mail. */
    subjectPrefix: z.string().max(40).default("[drbot]"),
  })
  .strict();

const webhookSchema = z.discriminatedUnion("format", [
  z
    .object({
      name: z.string().regex(/^[a-z0-9-]{1,40}$/, "lowercase letters, digits and '-'"),
      /** Alertmanager's API: a list of alerts, POSTed to the full URL (…/api/v2/alerts). */
      format: z.literal("alertmanager"),
      url: z.url({ protocol: /^https?$/ }),
      /** Environment variable holding a bearer token, when the endpoint needs one. */
      tokenEnv: envVarName.optional(),
    })
    .strict(),
  z
    .object({
      name: z.string().regex(/^[a-z0-9-]{1,40}$/, "lowercase letters, digits and '-'"),
      /** PagerDuty Events API v2: trigger and resolve by dedup key. */
      format: z.literal("pagerduty"),
      url: z.url({ protocol: /^https?$/ }).default("https://events.pagerduty.com/v2/enqueue"),
      /** Environment variable holding the service's integration (routing) key. */
      routingKeyEnv: envVarName,
    })
    .strict(),
]);

export const notificationsSchema = z
  .object({
    email: emailSchema.optional(),
    webhooks: z.array(webhookSchema).default([]),
    /** Which alerts leave by email and webhook: the watcher's, RPO breaches, replication lag, run outcomes. */
    events: z
      .array(z.enum(ALERT_KINDS))
      .min(1)
      .default([...ALERT_KINDS]),
    /** How often the leader reads the RPO and replication lag for breaches. */
    checkEvery: durationSchema.default(60_000),
    /** Deadline for one delivery (SMTP session, webhook request). */
    timeout: durationSchema.default(10_000),
  })
  .strict()
  .superRefine((n, ctx) => {
    const seen = new Set<string>();
    n.webhooks.forEach((w, i) => {
      if (seen.has(w.name))
        ctx.addIssue({
          code: "custom",
          path: ["webhooks", i, "name"],
          message: `duplicate name "${w.name}"`,
        });
      seen.add(w.name);
    });
  })
  .prefault({});

export type NotificationsConfig = z.output<typeof notificationsSchema>;
export type EmailConfig = NonNullable<NotificationsConfig["email"]>;
export type WebhookConfig = NotificationsConfig["webhooks"][number];
