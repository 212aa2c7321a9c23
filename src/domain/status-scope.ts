import { z } from "zod";
import type { Config } from "./config.js";
import { NAME_PATTERN } from "./config-names.js";
import { DrError } from "./errors.js";

/**
 * What `/dr status <application|tier>` (and `drbot status [scope]`) details: one tier and its
 * applications, or one application. Without a scope, status shows every tier's line.
 */
export type StatusScope =
  | { kind: "tier"; name: string; applications: string[] }
  | { kind: "application"; name: string; tier: string; applications: [string] };

/** How many names a refusal lists before counting the rest: a large estate cannot flood the answer. */
const NAMES_LISTED = 30;

const statusArgs = z
  .array(z.string())
  .max(1, "status details one tier or application at a time: `/dr status payments`")
  .transform((words) => words[0]?.trim().toLowerCase());

/**
 * The scope a person asked status about, checked against the configuration. Throws
 * DrError("invalid_input") for a word that cannot be a name, DrError("unknown_scope") naming the
 * valid tiers and applications for a name that is neither.
 */
export function parseStatusScope(config: Config, args: readonly string[]): StatusScope | undefined {
  const parsed = statusArgs.safeParse(args);
  if (!parsed.success)
    throw new DrError("invalid_input", parsed.error.issues.map((i) => i.message).join("; "));
  const name = parsed.data;
  if (name === undefined || name === "") return undefined;
  if (!NAME_PATTERN.test(name))
    throw new DrError("invalid_input", `"${name.slice(0, 64)}" is not a tier or application name`, {
      target: name.slice(0, 64),
    });
  const tier = config.tiers.find((t) => t.name === name);
  if (tier)
    return {
      kind: "tier",
      name,
      applications: config.applications.filter((a) => a.tier === name).map((a) => a.name),
    };
  const application = config.applications.find((a) => a.name === name);
  if (application)
    return { kind: "application", name, tier: application.tier, applications: [application.name] };
  const tiers = config.tiers.map((t) => t.name);
  const applications = config.applications.map((a) => a.name);
  throw new DrError(
    "unknown_scope",
    `"${name}" is neither a tier nor an application. Tiers: ${listed(tiers)}. Applications: ${listed(applications)}`,
    { target: name, tiers, applications },
  );
}

function listed(names: readonly string[]): string {
  if (names.length === 0) return "none";
  const shown = names.slice(0, NAMES_LISTED).join(", ");
  return names.length > NAMES_LISTED ? `${shown} and ${names.length - NAMES_LISTED} more` : shown;
}
