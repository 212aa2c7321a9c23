import { argument } from "../../../commands/parse-command-line.js";
import { uploadReport } from "../slack-report-publisher.js";
import { escapeMrkdwn } from "../views/block-kit.js";
import { ephemeral, type SlackCommandHandler } from "./slack-command.js";

/** `/dr report RUN`: the report's files go to the channel it was typed in: reports are for everyone there. */
export const postReport: SlackCommandHandler = async (cmd, inv, deps) => {
  const files = await deps.reports.files(argument(cmd, "RUN"));
  await uploadReport(
    deps.client,
    files,
    inv.channel,
    `The report of ${files.report.run.id}, asked for by <@${inv.actor}>`,
  );
  await ephemeral(
    inv.respond,
    `Report of \`${files.report.run.id}\` posted here: ${escapeMrkdwn(files.report.outcome)}`,
  );
};
