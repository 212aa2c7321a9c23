import type { z } from "zod";

/**
 * One top-level section of the configuration file: its schema, and the checks that need more than
 * the section itself (names it refers to in other sections). `R` is the part of the whole
 * configuration the check reads, so a section says what it depends on.
 */
export interface ConfigSection<S extends z.ZodType, R> {
  schema: S;
  check?: (config: R, ctx: z.RefinementCtx) => void;
}

export function defineSection<S extends z.ZodType, R = unknown>(
  schema: S,
  check?: (config: R, ctx: z.RefinementCtx) => void,
): ConfigSection<S, R> {
  return check ? { schema, check } : { schema };
}

/** Reports every name used twice in a list section (`sites`, `tiers`...). */
export function checkUniqueNames(
  items: readonly { name: string }[],
  key: string,
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    if (seen.has(item.name))
      ctx.addIssue({ code: "custom", path: [key, index, "name"], message: `duplicate name "${item.name}"` });
    seen.add(item.name);
  });
}

/** The names defined by a list section, for checks of references to them. */
export function namesOf(items: readonly { name: string }[]): Set<string> {
  return new Set(items.map((i) => i.name));
}
