/**
 * Placeholder expansion for runbook parameters, without evaluating code: `{{app.name}}` is looked up
 * in a fixed context by dotted path. A string that is exactly one placeholder takes the value as it
 * is (so `{{app.namespaces}}` becomes an array); placeholders inside longer strings are stringified.
 */
export type TemplateContext = Readonly<Record<string, unknown>>;

const PLACEHOLDER = /\{\{\s*([a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_]+)*)\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*([a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_]+)*)\s*\}\}$/;

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly path: (string | number)[],
  ) {
    super(message);
    this.name = "TemplateError";
  }
}

function lookup(context: TemplateContext, dotted: string, path: (string | number)[]): unknown {
  let value: unknown = context;
  for (const part of dotted.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, part)) {
      throw new TemplateError(`unknown placeholder {{${dotted}}}`, path);
    }
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export function expandTemplate(
  value: unknown,
  context: TemplateContext,
  path: (string | number)[] = [],
): unknown {
  if (typeof value === "string") {
    const whole = WHOLE_PLACEHOLDER.exec(value);
    if (whole) return lookup(context, whole[1]!, path);
    return value.replace(PLACEHOLDER, (_, dotted: string) => {
      const found = lookup(context, dotted, path);
      if (typeof found === "string") return found;
      if (Array.isArray(found) && found.every((f) => typeof f === "string")) return found.join(", ");
      return JSON.stringify(found);
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => expandTemplate(item, context, [...path, i]));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, expandTemplate(item, context, [...path, key])]),
    );
  }
  return value;
}

export function hasPlaceholder(value: unknown): boolean {
  if (typeof value === "string") return /\{\{/.test(value);
  if (Array.isArray(value)) return value.some(hasPlaceholder);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasPlaceholder);
  return false;
}
