import { runListText } from "../views/run-detail.js";
import { ephemeral, type SlackCommandHandler } from "./slack-command.js";

/** `/dr runs`: the 15 newest runs, a line each with start, duration and outcome. */
export const listRuns: SlackCommandHandler = async (_cmd, inv, deps) => {
  await ephemeral(inv.respond, runListText(await deps.service.runs(15), deps.clock.now()));
};
