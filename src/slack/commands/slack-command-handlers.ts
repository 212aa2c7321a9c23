import { answerHelp } from "./answer-help.js";
import { answerStatus } from "./answer-status.js";
import { abortRun, resumeRun, skipStep } from "./control-run.js";
import { listRuns } from "./list-runs.js";
import { postReport } from "./post-report.js";
import { requestRun } from "./request-run.js";
import { showRun } from "./show-run.js";
import type { SlackCommandHandlers } from "./slack-command.js";

/** The `/dr` dispatcher: one handler for each command `commands/definitions.ts` offers in Slack. */
export const SLACK_COMMAND_HANDLERS: SlackCommandHandlers = {
  help: answerHelp,
  status: answerStatus,
  failover: requestRun("failover"),
  failback: requestRun("failback"),
  drill: requestRun("drill"),
  runs: listRuns,
  show: showRun,
  report: postReport,
  abort: abortRun,
  resume: resumeRun,
  skip: skipStep,
};
