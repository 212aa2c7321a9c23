import { isNode, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { DrError, type DrErrorCode } from "../domain/errors.js";
import { formatPath } from "../domain/plan.js";

export interface FileIssue {
  file: string;
  path: string;
  line?: number;
  message: string;
  /** Errors by default; warnings are reported and refuse nothing. */
  severity?: "error" | "warning";
  /** What a runbook step needs from the configuration (not a mistake in the runbook's text). */
  need?: true;
}

export function formatIssues(issues: readonly FileIssue[]): string {
  return issues
    .map(
      (i) =>
        `${i.file}${i.line ? `:${i.line}` : ""}: ${i.severity === "warning" ? "warning: " : ""}${i.path || "(top)"}: ${i.message}`,
    )
    .join("\n");
}

/**
 * Parses a YAML file with a zod schema. Errors name the file, the path inside it and its line, and
 * never echo the offending value (it could be a secret pasted in the wrong place).
 */
export function parseYamlWith<S extends z.ZodType>(
  file: string,
  text: string,
  schema: S,
  code: DrErrorCode,
): z.output<S> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({
      file,
      path: "",
      line: lines.linePos(e.pos[0]).line,
      message: e.message.split("\n")[0] ?? "invalid YAML",
    }));
    throw new DrError(code, formatIssues(issues), { issues });
  }
  const result = schema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (result.success) return result.data;
  const issues: FileIssue[] = result.error.issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    return { file, path: formatPath(path), ...lineOf(doc, lines, path), message: issue.message };
  });
  throw new DrError(code, formatIssues(issues), { issues });
}

export function lineOf(
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  path: (string | number)[],
): { line?: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return { line: lines.linePos(node.range[0]).line };
  }
  return {};
}
