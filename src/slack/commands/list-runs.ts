import { ephemeral, type SlackCommandHandler, stateWords } from "./slack-command.js";

/** `/dr runs`: the 15 newest runs, a line each. */
export const listRuns: SlackCommandHandler = async (_cmd, inv, deps) => {
  const runs = await deps.service.runs(15);
  await ephemeral(
    inv.respond,
    runs.length
      ? runs
          .map(
            (r) =>
              `\`${r.id}\` ${stateWords(r.state)}: ${r.scope.applications.join(", ")} by <@${r.requestedBy}>`,
          )
          .join("\n")
      : "No runs yet.",
  );
};
