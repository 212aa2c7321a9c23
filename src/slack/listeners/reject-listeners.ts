import type { App, BlockAction, ButtonAction, RespondFn } from "@slack/bolt";
import type { DrService } from "../../app/dr-service.js";
import { ERROR_HEADLINES, refusalText } from "../../app/error-messages.js";
import { DrError } from "../../domain/errors.js";
import { REJECT_REASON_INPUT, RUN_VIEW } from "../../domain/slack-actions.js";
import type { Clock } from "../../ports/clock.js";
import type { Logger } from "../../ports/logger.js";
import type { AckGate } from "../ack-gate.js";
import type { SlackRunNotifier } from "../slack-run-notifier.js";
import { slackWitness } from "../slack-witness.js";
import { escapeMrkdwn } from "../views/block-kit.js";
import { rejectedReply, rejectMetadata, rejectModal, rejectReason } from "../views/reject-modal.js";
import { ACTION } from "../views/run-view-parts.js";
import { logUnexpected, replyError } from "./reply-error.js";

interface Deps {
  service: DrService;
  notifier: SlackRunNotifier;
  log: Logger;
  clock: Clock;
  acks?: AckGate;
}

/**
 * Reject with a reason: the card's Reject opens a modal (what is rejected, an optional reason);
 * submitting it is the rejection, proven by Slack's signed submission like a click, the reason read
 * with zod and capped. The requester is told in the card's thread, with the reason. Refusals reach
 * only the person (the modal has closed by then: as an ephemeral in the card's channel) and the
 * audit trail.
 */
export function registerRejectListeners(app: App, deps: Deps): void {
  app.action<BlockAction<ButtonAction>>(ACTION.reject, async ({ ack, action, body, client, respond }) => {
    await ack();
    await deps.acks?.settled();
    const context = {
      operation: "slack.action.dr:reject",
      user: body.user.id,
      ...(body.channel?.id ? { channel: body.channel.id } : {}),
    };
    try {
      const runId = action.value ?? "";
      if (!/^[a-zA-Z0-9._-]{1,120}$/.test(runId))
        throw new DrError("invalid_input", "this button carries an unexpected value");
      // Who may not reject, or a request already decided, is told now, before being asked why.
      const run = await deps.service.checkReject({ actor: body.user.id, runId });
      await client.views.open({
        trigger_id: body.trigger_id,
        view: rejectModal(run, body.channel?.id ?? run.channel ?? ""),
      });
    } catch (error) {
      await replyError(respond as RespondFn, error, deps.log, context);
    }
  });

  app.view(RUN_VIEW.reject, async ({ ack, body, view, client, context: bolt }) => {
    const actor = body.user.id;
    const typed = view.state.values[REJECT_REASON_INPUT]?.[REJECT_REASON_INPUT]?.value ?? undefined;
    const reason = rejectReason.safeParse(typed ?? undefined);
    if (!reason.success) {
      await ack({
        response_action: "errors",
        errors: { [REJECT_REASON_INPUT]: reason.error.issues[0]?.message ?? "not a reason" },
      });
      await deps.service.auditRefusal(
        actor,
        new DrError("invalid_input", "the rejection's reason is too long"),
        {
          command: "reject",
        },
      );
      return;
    }
    const meta = rejectMetadata.safeParse(view.private_metadata);
    await ack();
    await deps.acks?.settled();
    const context = { operation: "slack.view.dr:reject", user: actor };
    if (!meta.success) {
      // Only drbot writes the metadata; a submission without it names no run to reject.
      const error = new DrError("invalid_input", "this modal names no run to reject");
      await deps.service.auditRefusal(actor, error, { command: "reject" });
      deps.log.warn("a reject modal came back without its run", context);
      return;
    }
    const [runId, channel] = meta.data;
    const note = reason.data ? reason.data : undefined;
    try {
      const run = await deps.service.reject({
        actor,
        runId,
        ...(note ? { note } : {}),
        witness: slackWitness(bolt, body, deps.clock.now()),
      });
      const refs = await deps.notifier.refs(run.id);
      if (refs?.cardTs)
        await client.chat.postMessage({
          channel: refs.channel,
          thread_ts: refs.cardTs,
          text: rejectedReply(run, actor, note),
        });
    } catch (error) {
      const text =
        error instanceof DrError && error.code !== "internal"
          ? `*${ERROR_HEADLINES[error.code]}*: ${escapeMrkdwn(refusalText(error, "slack"))}`
          : logUnexpected(error, deps.log, { ...context, channel });
      await client.chat.postEphemeral({ channel, user: actor, text }).catch((failure: unknown) => {
        deps.log.warn("could not tell the person why their rejection failed", {
          ...context,
          runId,
          err: failure,
        });
      });
    }
  });
}
