import { argument } from "../../../commands/parse-command-line.js";
import { EXIT } from "../../app/error-messages.js";
import { isDrError } from "../../domain/errors.js";
import { peopleOf } from "../../domain/people.js";
import { runsText, runText, statusText } from "../render-text.js";
import { writeReportFiles } from "../write-report-files.js";
import type { CliCommandHandler } from "./cli-command.js";

/** `drbot status|runs|show|report`: reading, never changing. */

/** Who the audit trail names for a reading command, which runs as no one in particular. */
const CLI_ACTOR = "cli";

export const showStatus: CliCommandHandler = async (ctx) => {
  const rt = await ctx.runtime();
  const report = await rt.service.status(ctx.cmd.args).catch(async (error: unknown) => {
    // A name that is no tier or application is bad input: audited like in Slack, then refused (exit 2).
    if (isDrError(error) && (error.code === "unknown_scope" || error.code === "invalid_input"))
      await rt.service.auditRefusal(CLI_ACTOR, error, { command: "status" });
    throw error;
  });
  ctx.emit(report, statusText(report));
  return EXIT.ok;
};

export const listRuns: CliCommandHandler = async (ctx) => {
  const rt = await ctx.runtime();
  const runs = await rt.service.runs(ctx.cmd.flags.limit ?? 20);
  ctx.emit(runs, runsText(runs, rt.clock.now()));
  return EXIT.ok;
};

export const showRun: CliCommandHandler = async (ctx) => {
  const rt = await ctx.runtime();
  const { run, steps, events } = await rt.service.show(argument(ctx.cmd, "RUN"));
  const names = await rt.names.namesOf(peopleOf(run, steps));
  ctx.emit(
    { run, steps: Object.fromEntries(steps), events },
    runText(run, steps, rt.clock.now(), events, names),
  );
  return EXIT.ok;
};

/** Markdown on the terminal (JSON with --json), or the three files written to --out DIR. */
export const showReport: CliCommandHandler = async (ctx) => {
  const files = await (await ctx.runtime()).reports.files(argument(ctx.cmd, "RUN"));
  const { out, json } = ctx.cmd.flags;
  if (out) {
    const written = await writeReportFiles(files, out);
    ctx.emit({ ...files.report, files: written }, `report of ${files.report.run.id}: ${written.join(", ")}`);
    return EXIT.ok;
  }
  ctx.io.out(json ? files.json.trimEnd() : files.markdown.trimEnd());
  return EXIT.ok;
};
