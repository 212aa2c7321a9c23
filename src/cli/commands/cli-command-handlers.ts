import type { CliCommandHandlers } from "./cli-command.js";
import { abortRun, resumeRun, skipStep, tickItems } from "./control-run.js";
import { approveRun, rejectRun } from "./decide.js";
import { showPlan, validate } from "./offline-commands.js";
import { listRuns, showReport, showRun, showStatus } from "./read-runs.js";
import { requestRun } from "./request-run.js";
import { showHelp } from "./show-help.js";
import { showReadiness } from "./show-readiness.js";

/** The `drbot` dispatcher: one handler for each command `commands/definitions.ts` offers on the CLI. */
export const CLI_COMMAND_HANDLERS: CliCommandHandlers = {
  help: showHelp,
  status: showStatus,
  readiness: showReadiness,
  validate,
  plan: showPlan,
  run: requestRun,
  approve: approveRun,
  reject: rejectRun,
  runs: listRuns,
  show: showRun,
  report: showReport,
  abort: abortRun,
  resume: resumeRun,
  skip: skipStep,
  tick: tickItems,
  // Loaded on demand: the Slack surface and the HTTP server are only needed by the bot itself.
  serve: async (ctx) => (await import("../serve.js")).serve(await ctx.runtime(), ctx.io),
};
