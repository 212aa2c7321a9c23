import { z } from "zod";

/**
 * The names the configuration and the runbooks share: drbot's own names, Kubernetes object names,
 * environment variable names and Slack user IDs. Kept apart from config.ts so the schemas of one part of the
 * configuration (a data source, say) can use them without importing the whole file.
 */

/** Names people type in commands: letters, digits, dash, underscore, dot. Nothing a shell could act on. */
export const NAME_PATTERN = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
export const nameSchema = z
  .string()
  .regex(
    NAME_PATTERN,
    "use lowercase letters, digits, '.', '_' and '-' (at most 63), starting and ending with a letter or digit",
  );

/** Kubernetes namespace and object names (RFC 1123 labels / subdomains). */
export const k8sNameSchema = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, "not a valid Kubernetes name");

/** The name of an environment variable that holds a secret (never the secret itself). */
export const envVarName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name like REDIS_PASSWORD");

/** A Slack user ID (U…, or W… in Enterprise Grid). */
export const slackUserIdSchema = z.string().regex(/^[UW][A-Z0-9]{2,}$/, "a Slack user ID like U012ABCDEF");
