import { statusText } from "../views/status-view.js";
import { ephemeral, type SlackCommandHandler } from "./slack-command.js";

/**
 * Slack cannot edit a slash command's reply: `replace_original` on its response_url applies only to
 * messages with buttons (bolt-js#2287, bolt-python#1268), so a placeholder would stay on screen
 * beside the answer. A quick answer is therefore the only message; the placeholder is sent only
 * when the sites are slow (every reading has its deadline, so the answer still follows in seconds).
 */
const STATUS_PLACEHOLDER_AFTER_MS = 750;

/**
 * `/dr status [tier|application]`: both sites, readiness per tier (or the findings of the one named),
 * RPO per tier, active runs; within Slack's 3 s even when a site or the readiness store hangs. An
 * unknown name is refused before anything is read (the listener answers it and audits it).
 */
export const answerStatus: SlackCommandHandler = async (cmd, inv, deps) => {
  const answer = deps.service.status(cmd.args).then(statusText);
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<"slow">((resolve) => {
    timer = setTimeout(() => resolve("slow"), STATUS_PLACEHOLDER_AFTER_MS);
  });
  const first = await Promise.race([answer, slow]).finally(() => clearTimeout(timer));
  if (first === "slow")
    await ephemeral(
      inv.respond,
      ":hourglass_flowing_sand: Checking both sites… one is slow to answer; the status follows here within seconds.",
    );
  await ephemeral(inv.respond, await answer);
};
