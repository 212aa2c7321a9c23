import type { RunKind } from "../src/domain/config.js";
import { DrError } from "../src/domain/errors.js";

/** The word that asks for every application at once; it is never a tier or application name. */
export const EVERY_APPLICATION = "all";

/** The run kinds a person starts for a scope: they name it, or say `all`. */
const NEEDS_SCOPE: ReadonlySet<RunKind> = new Set(["failover", "failback", "drill"]);

/**
 * The targets of a request as the use cases take them (no targets: every application), from the
 * words a person typed. A failover, failback or drill of nothing named would move or drill every
 * application, which nobody should get by leaving the scope out: it is refused, saying what is
 * missing and how to write it, and `all` asks for every application on purpose. `all` stands
 * alone: with other names it would be read two ways.
 *
 * `usage` is how the person writes the command with a scope, e.g. `(scope) => \`/dr failover ${scope}\``.
 */
export function requestTargets(
  kind: RunKind,
  words: readonly string[],
  example: string,
  usage: (scope: string) => string,
): string[] {
  const all = words.filter((w) => w.toLowerCase() === EVERY_APPLICATION);
  if (all.length > 0 && words.length > 1)
    throw new DrError(
      "invalid_input",
      `\`${EVERY_APPLICATION}\` already names every application: give it alone (${usage(EVERY_APPLICATION)}), or name the tiers and applications without it`,
    );
  if (all.length > 0) return [];
  if (words.length === 0 && NEEDS_SCOPE.has(kind))
    throw new DrError(
      "invalid_input",
      `which applications or tier? ${usage(example)} (or ${usage(EVERY_APPLICATION)} for every application)`,
    );
  return [...words];
}
