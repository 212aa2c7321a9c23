import { argument, rest } from "../../../commands/parse-command-line.js";
import { EXIT } from "../../app/error-messages.js";
import { checkConfigDesign } from "../../config/check-config-design.js";
import { loadConfig } from "../../config/load-config.js";
import { checkRunbooks, loadRunbooksWithFindings } from "../../config/load-runbooks.js";
import { formatIssues } from "../../config/yaml-issues.js";
import { DrError } from "../../domain/errors.js";
import { buildPlan, isError } from "../../domain/plan.js";
import { resolveScope } from "../../domain/scope.js";
import { presumedServing } from "../../domain/site-state.js";
import { createStepKindRegistry } from "../../engine/step-kinds/registry.js";
import { planText } from "../render-text.js";
import type { CliCommandHandler } from "./cli-command.js";

/**
 * `validate` and `plan` read files only: the configuration and the runbooks. No Redis, no cluster,
 * no Slack, so they work on a laptop and in a CI pipeline (`validate --json`, exit 3 when anything
 * would refuse a run; warnings, such as a backup cadence that cannot meet a tier's RPO, exit 0).
 * Everything else in the CLI goes through the runtime.
 */

/** `drbot plan RUNBOOK [tier|app…]`: the plan a request would make, with its hash; nothing is requested. */
export const showPlan: CliCommandHandler = async (ctx) => {
  const { configPath, runbooksDir } = ctx.files();
  const config = await loadConfig(configPath);
  const registry = createStepKindRegistry();
  const runbookName = argument(ctx.cmd, "RUNBOOK");
  const { runbooks } = await loadRunbooksWithFindings(runbooksDir, config, registry);
  const runbook = runbooks.get(runbookName);
  if (!runbook)
    throw new DrError(
      "invalid_input",
      `no runbook named "${runbookName.slice(0, 63)}"; known: ${[...runbooks.keys()].join(", ")}`,
    );
  // Offline, the site state is not read: the plan presumes the applications are where a run of this
  // kind finds them, and says so (a request, through Redis, follows where they really are).
  const serving = presumedServing(config, runbook.kind);
  const plan = buildPlan({
    runbook,
    config,
    scope: resolveScope(config, rest(ctx.cmd), runbook.kind, {
      serving,
      withShared: ctx.cmd.flags.withShared === true,
    }),
    mode: ctx.cmd.flags.mode ?? (runbook.kind === "drill" ? "drill" : "real"),
    catalog: registry,
  });
  ctx.emit(
    plan,
    `${planText(plan)}\n(offline: presumes ${plan.scope.applications.join(", ")} served from ${plan.scope.fromSite}; a request follows which site really serves them)`,
  );
  return EXIT.ok;
};

/** `drbot validate`: every problem in the configuration and the runbooks, each with file, path and line. */
export const validate: CliCommandHandler = async (ctx) => {
  const { configPath, runbooksDir } = ctx.files();
  const config = await loadConfig(configPath);
  const { runbooks, findings } = await checkRunbooks(runbooksDir, config, createStepKindRegistry());
  findings.push(...(await checkConfigDesign(configPath, config)));
  const errors = findings.filter(isError);
  const warnings = findings.filter((f) => !isError(f));
  const summary = {
    ok: errors.length === 0,
    config: configPath,
    runbooksDir,
    sites: config.sites.length,
    tiers: config.tiers.length,
    applications: config.applications.length,
    runbooks: [...runbooks.keys()],
    errors,
    warnings,
  };
  const { io } = ctx;
  if (ctx.cmd.flags.json) io.out(JSON.stringify(summary));
  else {
    if (errors.length > 0) io.err(`${errors.length} problem(s) would refuse runs:\n${formatIssues(errors)}`);
    if (warnings.length > 0) io.err(`${warnings.length} warning(s):\n${formatIssues(warnings)}`);
    if (errors.length === 0)
      io.out(
        `configuration OK: ${config.sites.length} sites, ${config.tiers.length} tiers, ${config.applications.length} applications; runbooks: ${[...runbooks.keys()].join(", ")}${warnings.length ? ` (${warnings.length} warning(s))` : ""}`,
      );
  }
  return errors.length === 0 ? EXIT.ok : EXIT.invalidConfig;
};
