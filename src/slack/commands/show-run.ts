import { argument } from "../../../commands/parse-command-line.js";
import { escapeMrkdwn } from "../views/block-kit.js";
import { ephemeral, type SlackCommandHandler, stateWords } from "./slack-command.js";

/** `/dr show RUN`: the run's state, plan hash and each step's status. */
export const showRun: SlackCommandHandler = async (cmd, inv, deps) => {
  const { run, steps } = await deps.service.show(argument(cmd, "RUN"));
  const lines = run.plan.steps.map(
    (p) => `${stateWords(steps.get(p.id)?.status ?? "not_started")}: ${escapeMrkdwn(p.title)}`,
  );
  await ephemeral(
    inv.respond,
    `*${run.id}* ${stateWords(run.state)} (plan \`${run.plan.hash}\`)\n${lines.slice(0, 60).join("\n")}`,
  );
};
