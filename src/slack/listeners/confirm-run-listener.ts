import type { App, RespondFn, ViewSubmitAction } from "@slack/bolt";
import { requestFailoverFromAlert } from "../../app/request-failover-from-alert.js";
import { DrError } from "../../domain/errors.js";
import {
  CONFIRM_RUN,
  confirmationName,
  readConfirmation,
  typedMatches,
} from "../../domain/run-confirmation.js";
import type { RunStore } from "../../ports/run-store.js";
import { submitRunRequest } from "../commands/request-run.js";
import type { SlackCommandDeps } from "../commands/slack-command.js";
import { slackWitness } from "../slack-witness.js";
import { clip } from "../views/block-kit.js";
import { mismatchError } from "../views/confirm-run-modal.js";
import { replyError } from "./reply-error.js";

/**
 * The confirmation modal submitted. The typed name is checked before the ack: when it is not the
 * scope's exactly, the modal shows why under the input, nothing is requested, and the refusal is
 * audited. When it is, the modal closes and the run is requested with the signed submission as the
 * requester's proof (its private_metadata is the request confirmed); what follows (the card, the
 * note to the requester, a refusal) is as for a command, the person's answers as ephemerals in the
 * channel the command was typed in.
 */
export function registerConfirmRun(
  app: App,
  deps: SlackCommandDeps & { store: Pick<RunStore, "kvGet"> },
): void {
  app.view<ViewSubmitAction>(CONFIRM_RUN.callbackId, async ({ ack, body, view, context: bolt }) => {
    const actor = body.user.id;
    const request = readConfirmation(view.private_metadata);
    const typed = view.state.values[CONFIRM_RUN.block]?.[CONFIRM_RUN.input]?.value ?? "";
    if (!request || !typedMatches(request, typed)) {
      await ack({
        response_action: "errors",
        errors: {
          [CONFIRM_RUN.block]: request
            ? mismatchError(request)
            : "drbot cannot read what this modal confirms. Type the command again.",
        },
      });
      await deps.acks?.settled();
      const error = new DrError(
        "not_confirmed",
        request
          ? `the name typed to confirm the ${request.kind} was not "${confirmationName(request.targets)}"`
          : "a confirmation whose request drbot cannot read",
      );
      await deps.service.auditRefusal(actor, error, {
        ...(request ? { command: request.kind, channel: request.channel } : {}),
        typed: clip(typed, 100),
      });
      return;
    }
    await ack();
    await deps.acks?.settled();
    const context = { operation: `slack.confirm.${request.kind}`, user: actor, channel: request.channel };
    const respond = ephemeralIn(deps, request.channel, actor);
    try {
      if (request.alert) {
        // From the watcher's alert: its record gives the reason, the detection time and one run per alert.
        const witness = slackWitness(bolt, body, deps.clock.now());
        const outcome = await requestFailoverFromAlert(deps, { actor, alertId: request.alert, witness });
        const run = outcome.run;
        if (outcome.duplicate) {
          await respond({ text: `Already requested: \`${run.id}\` is ${run.state.replace(/_/g, " ")}.` });
          return;
        }
        await deps.notifier.postCard(run, run.channel ?? request.channel);
        await respond({
          text: `Requested \`${run.id}\`: needs ${run.requiredApprovals} approval(s) from someone other than you.`,
        });
        return;
      }
      await submitRunRequest(
        request.kind,
        request,
        {
          actor,
          channel: request.channel,
          triggerId: body.trigger_id,
          respond,
          witness: slackWitness(bolt, body, deps.clock.now()),
        },
        deps,
        `slack-view:${view.id}`,
      );
    } catch (error) {
      if (error instanceof DrError && !["scope_busy", "not_permitted"].includes(error.code))
        await deps.service.auditRefusal(actor, error, { command: request.kind });
      await replyError(respond, error, deps.log, context);
    }
  });
}

/** A submission has no response_url: answers go to the person as ephemerals in the channel. */
function ephemeralIn(deps: SlackCommandDeps, channel: string, user: string): RespondFn {
  const post = async (message: Parameters<RespondFn>[0]) => {
    const text = typeof message === "string" ? message : (message.text ?? "");
    await deps.client.chat.postEphemeral({ channel, user, text });
  };
  // Callers only await it and read nothing back (ephemeral, replyError): no fetch response to give.
  return post as unknown as RespondFn;
}
