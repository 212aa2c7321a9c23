import { z } from "zod";

/**
 * How each kind of flag value is read, the same in Slack and the CLI. Messages complete a sentence
 * that starts with the flag ("--reason is at most 500 characters") and never repeat the value: what
 * was typed may be long, or a secret pasted into the wrong place.
 */
export const VALUE_KINDS = {
  /** A flag without a value: given or not. */
  switch: z.literal(true),
  /** Free text people write: reasons, notes. */
  text: z.string().max(500, "is at most 500 characters"),
  /** A short label: a drill window, an idempotency key. */
  label: z.string().max(200, "is at most 200 characters"),
  /** A Kubernetes object name: nothing a shell or an API could misread. */
  backupName: z
    .string()
    .regex(
      /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/,
      "takes a backup name (lowercase letters, digits, '-', '.')",
    ),
  /** A person: a Slack user ID (or a name the configuration lists); the use cases check it. */
  identity: z.string().min(1, "needs a value").max(100, "is at most 100 characters"),
  planHash: z.string().regex(/^[0-9a-f]{64}$/, "takes the 64-character plan hash `drbot show RUN` prints"),
  mode: z.enum(["real", "drill"], { error: "is real or drill" }),
  count: z.coerce
    .number({ error: "takes a whole number from 1 to 1000" })
    .int("takes a whole number from 1 to 1000")
    .min(1, "takes a whole number from 1 to 1000")
    .max(1000, "takes a whole number from 1 to 1000"),
  /** A file or directory on the machine running the CLI. */
  path: z.string().min(1, "needs a value").max(4096, "is at most 4096 characters"),
} as const;

export type ValueKind = keyof typeof VALUE_KINDS;
export type ValueOf<K extends ValueKind> = z.output<(typeof VALUE_KINDS)[K]>;

/** Words a scope, run id or step id may not exceed, and how many of them one command may name. */
export const ARG_LIMITS = { length: 200, count: 30 } as const;
