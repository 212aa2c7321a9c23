import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import type { Config } from "../domain/config.js";
import { DrError } from "../domain/errors.js";
import { formatPath, isError, type StepCatalog, validateRunbook } from "../domain/plan.js";
import { type Runbook, runbookSchema } from "../domain/runbook.js";
import { type FileIssue, formatIssues, lineOf, parseYamlWith } from "./yaml-issues.js";

export interface RunbookCheck {
  /** Every runbook whose text is valid, unmet configuration needs or not. */
  runbooks: Map<string, Runbook>;
  /**
   * Everything found, each naming file, path and line: mistakes in a runbook's text (errors),
   * what a step needs from the configuration and does not get (`need`, errors or warnings).
   */
  findings: FileIssue[];
}

/**
 * Reads every runbook in a directory and checks each against the schema, the step kinds and the
 * configuration, without stopping at the first problem: `drbot validate` lists them all.
 */
export async function checkRunbooks(
  dir: string,
  config: Config,
  catalog: StepCatalog,
): Promise<RunbookCheck> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".yaml") || n.endsWith(".yml")).sort();
  } catch (error) {
    throw new DrError(
      "invalid_runbook",
      `${dir}: cannot read the runbook directory (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  const runbooks = new Map<string, Runbook>();
  const findings: FileIssue[] = [];
  const source = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    const text = await readFile(file, "utf8");
    try {
      const runbook = parseYamlWith(file, text, runbookSchema, "invalid_runbook");
      if (runbooks.has(runbook.name)) {
        findings.push({
          file,
          path: "name",
          message: `runbook name "${runbook.name}" is also used by ${source.get(runbook.name)}`,
        });
        continue;
      }
      const found = validateRunbook(runbook, config, catalog);
      const lines = new LineCounter();
      const doc = parseDocument(text, { lineCounter: lines });
      for (const issue of found)
        findings.push({
          file,
          path: formatPath(issue.path),
          ...lineOf(doc, lines, issue.path),
          message: issue.message,
          ...(issue.severity ? { severity: issue.severity } : {}),
          ...(issue.need ? { need: true as const } : {}),
        });
      // A runbook whose own text is wrong is not loaded; one that needs what the configuration lacks
      // is, and every plan of it is refused with the reason (see buildPlan) until the config has it.
      if (found.some((i) => isError(i) && !i.need)) continue;
      runbooks.set(runbook.name, runbook);
      source.set(runbook.name, file);
    } catch (error) {
      if (error instanceof DrError && Array.isArray(error.details.issues))
        findings.push(...(error.details.issues as FileIssue[]));
      else throw error;
    }
  }
  return { runbooks, findings };
}

/**
 * Loads every runbook in a directory for the bot. One runbook with a mistake in its text stops the
 * load: drbot refuses to start rather than find out during a failover. Errors name the file, the
 * path inside it and the line. Needs the configuration does not meet do not stop it (the other
 * runbooks still work in a disaster); they are in `findings`, and requests of that runbook are
 * refused with the reason before anyone approves.
 */
export async function loadRunbooks(
  dir: string,
  config: Config,
  catalog: StepCatalog,
): Promise<Map<string, Runbook>> {
  return (await loadRunbooksWithFindings(dir, config, catalog)).runbooks;
}

export async function loadRunbooksWithFindings(
  dir: string,
  config: Config,
  catalog: StepCatalog,
): Promise<RunbookCheck> {
  const checked = await checkRunbooks(dir, config, catalog);
  const broken = checked.findings.filter((f) => isError(f) && !f.need);
  if (broken.length > 0) throw new DrError("invalid_runbook", formatIssues(broken), { issues: broken });
  return checked;
}
