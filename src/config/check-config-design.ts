import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import type { Config } from "../domain/config.js";
import { formatPath } from "../domain/plan.js";
import { checkRpoDesign } from "../domain/rpo-design-check.js";
import { checkRtoBudgets } from "../domain/rto-budgets.js";
import { type FileIssue, lineOf } from "./yaml-issues.js";

/** The RPO design and RTO budget warnings of a configuration file, each with its path and line in that file. */
export async function checkConfigDesign(file: string, config: Config): Promise<FileIssue[]> {
  const findings = [...checkRpoDesign(config), ...checkRtoBudgets(config.tiers)];
  if (findings.length === 0) return [];
  const lines = new LineCounter();
  const doc = parseDocument(await readFile(file, "utf8"), { lineCounter: lines });
  return findings.map((f) => ({
    file,
    path: formatPath(f.path),
    ...lineOf(doc, lines, f.path),
    message: f.message,
    severity: "warning" as const,
  }));
}
