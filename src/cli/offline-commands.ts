import { EXIT } from "../app/error-messages.js";
import { loadConfig } from "../config/load-config.js";
import { checkRunbooks, loadRunbooksWithFindings } from "../config/load-runbooks.js";
import { formatIssues } from "../config/yaml-issues.js";
import { DrError } from "../domain/errors.js";
import { buildPlan, isError } from "../domain/plan.js";
import type { RunMode } from "../domain/run.js";
import { resolveScope } from "../domain/scope.js";
import { createStepKindRegistry } from "../engine/step-kinds/registry.js";
import type { CliIo } from "./main.js";
import { planText } from "./render-text.js";

/**
 * `validate` and `plan` read files only: the configuration and the runbooks. No Redis, no cluster,
 * no Slack, so they work on a laptop and in a CI pipeline (`validate --json`, exit 3 when anything
 * would refuse a run). Everything else in the CLI goes through the runtime.
 */
export const OFFLINE_COMMANDS = new Set(["validate", "plan"]);

export interface OfflineOptions {
  configPath: string;
  runbooksDir: string;
  json: boolean;
  mode?: RunMode;
}

export async function runOffline(
  name: string,
  args: readonly string[],
  options: OfflineOptions,
  io: CliIo,
): Promise<number> {
  const config = await loadConfig(options.configPath);
  const registry = createStepKindRegistry();
  if (name === "plan") {
    const [runbookName, ...targets] = args;
    if (!runbookName) throw new DrError("invalid_input", "usage: drbot plan RUNBOOK [tier|app…]");
    const { runbooks } = await loadRunbooksWithFindings(options.runbooksDir, config, registry);
    const runbook = runbooks.get(runbookName);
    if (!runbook)
      throw new DrError(
        "invalid_input",
        `no runbook named "${runbookName.slice(0, 63)}"; known: ${[...runbooks.keys()].join(", ")}`,
      );
    const plan = buildPlan({
      runbook,
      config,
      scope: resolveScope(config, targets, runbook.kind),
      mode: options.mode ?? (runbook.kind === "drill" ? "drill" : "real"),
      catalog: registry,
    });
    io.out(options.json ? JSON.stringify(plan) : planText(plan));
    return EXIT.ok;
  }
  const { runbooks, findings } = await checkRunbooks(options.runbooksDir, config, registry);
  const errors = findings.filter(isError);
  const warnings = findings.filter((f) => !isError(f));
  const summary = {
    ok: errors.length === 0,
    config: options.configPath,
    runbooksDir: options.runbooksDir,
    sites: config.sites.length,
    tiers: config.tiers.length,
    applications: config.applications.length,
    runbooks: [...runbooks.keys()],
    errors,
    warnings,
  };
  if (options.json) io.out(JSON.stringify(summary));
  else {
    if (errors.length > 0) io.err(`${errors.length} problem(s) would refuse runs:\n${formatIssues(errors)}`);
    if (warnings.length > 0) io.err(`${warnings.length} warning(s):\n${formatIssues(warnings)}`);
    if (errors.length === 0)
      io.out(
        `configuration OK: ${config.sites.length} sites, ${config.tiers.length} tiers, ${config.applications.length} applications; runbooks: ${[...runbooks.keys()].join(", ")}${warnings.length ? ` (${warnings.length} warning(s))` : ""}`,
      );
  }
  return errors.length === 0 ? EXIT.ok : EXIT.invalidConfig;
}
