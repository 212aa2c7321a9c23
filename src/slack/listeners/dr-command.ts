import type { App } from "@slack/bolt";
import { DrError } from "../../domain/errors.js";
import type { SlackCommandDeps } from "../commands/slack-command.js";
import { SLACK_COMMAND_HANDLERS } from "../commands/slack-command-handlers.js";
import { type DrCommand, parseDrCommand } from "../parse-dr-command.js";
import { slackWitness } from "../slack-witness.js";
import { replyError } from "./reply-error.js";

/**
 * `/dr …`: acknowledged at once (nothing a cluster, Redis or Slack does can delay it); once the
 * requests that arrived with it are acked too (AckGate), parsed against the command table, then
 * handed to that command's handler (`src/slack/commands/`). Refusals go to the person alone and
 * into the audit trail.
 */
export function registerDrCommand(app: App, deps: SlackCommandDeps): void {
  app.command("/dr", async ({ command, ack, respond, context: bolt, body }) => {
    await ack();
    await deps.acks?.settled();
    const actor = command.user_id;
    const context = { operation: "slack.command.dr", user: actor, channel: command.channel_id };
    let parsed: DrCommand;
    try {
      parsed = parseDrCommand(command.text ?? "");
    } catch (error) {
      if (error instanceof DrError)
        await deps.service.auditRefusal(actor, error, { command: "/dr", channel: command.channel_id });
      await replyError(respond, error, deps.log, context);
      return;
    }
    try {
      await SLACK_COMMAND_HANDLERS[parsed.name](
        parsed,
        {
          actor,
          channel: command.channel_id,
          triggerId: command.trigger_id,
          respond,
          witness: slackWitness(bolt, body, deps.clock.now()),
        },
        deps,
      );
    } catch (error) {
      if (error instanceof DrError && !["scope_busy", "not_permitted"].includes(error.code))
        await deps.service.auditRefusal(actor, error, { command: parsed.name });
      await replyError(respond, error, deps.log, { ...context, operation: `slack.command.${parsed.name}` });
    }
  });
}
