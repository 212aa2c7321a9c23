import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import type { Config } from "../domain/config.js";
import { DrError } from "../domain/errors.js";
import { formatPath, type StepCatalog, validateRunbook } from "../domain/plan.js";
import { type Runbook, runbookSchema } from "../domain/runbook.js";
import { type FileIssue, formatIssues, lineOf, parseYamlWith } from "./yaml-issues.js";

/**
 * Loads every runbook in a directory and validates each against the schema, the step kinds and the
 * configuration. One broken runbook stops the load: drbot refuses to start rather than find out
 * during a failover. Errors name the file, the path inside it and the line.
 */
export async function loadRunbooks(
  dir: string,
  config: Config,
  catalog: StepCatalog,
): Promise<Map<string, Runbook>> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".yaml") || n.endsWith(".yml")).sort();
  } catch {
    throw new DrError("invalid_runbook", `${dir}: cannot read the runbook directory`);
  }
  const runbooks = new Map<string, Runbook>();
  const issues: FileIssue[] = [];
  const source = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    const text = await readFile(file, "utf8");
    try {
      const runbook = parseYamlWith(file, text, runbookSchema, "invalid_runbook");
      if (runbooks.has(runbook.name)) {
        issues.push({
          file,
          path: "name",
          message: `runbook name "${runbook.name}" is also used by ${source.get(runbook.name)}`,
        });
        continue;
      }
      const found = validateRunbook(runbook, config, catalog);
      if (found.length > 0) {
        const lines = new LineCounter();
        const doc = parseDocument(text, { lineCounter: lines });
        for (const issue of found)
          issues.push({
            file,
            path: formatPath(issue.path),
            ...lineOf(doc, lines, issue.path),
            message: issue.message,
          });
        continue;
      }
      runbooks.set(runbook.name, runbook);
      source.set(runbook.name, file);
    } catch (error) {
      if (error instanceof DrError && Array.isArray(error.details.issues))
        issues.push(...(error.details.issues as FileIssue[]));
      else throw error;
    }
  }
  if (issues.length > 0) throw new DrError("invalid_runbook", formatIssues(issues), { issues });
  return runbooks;
}
