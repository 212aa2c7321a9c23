import type { App, BlockAction, ButtonAction, RespondFn } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import type { DrService, RequestOutcome } from "../../app/dr-service.js";
import { readOpenAlert } from "../../app/request-failover-from-alert.js";
import { requestFromReminder } from "../../app/request-from-reminder.js";
import { DrError } from "../../domain/errors.js";
import type { Clock } from "../../ports/clock.js";
import type { Witness } from "../../ports/evidence.js";
import type { Logger } from "../../ports/logger.js";
import type { RunStore } from "../../ports/run-store.js";
import type { AckGate } from "../ack-gate.js";
import { askConfirmation } from "../commands/confirm-run.js";
import type { SlackRunNotifier } from "../slack-run-notifier.js";
import { slackWitness } from "../slack-witness.js";
import { WATCH_ACTION } from "../views/watch-views.js";
import { answerEphemeral, replyError } from "./reply-error.js";

interface Deps {
  service: DrService;
  store: Pick<RunStore, "kvGet">;
  notifier: SlackRunNotifier;
  /** Opens the typed confirmation an alert's failover asks for, like `/dr failover`. */
  client: WebClient;
  log: Logger;
  /** Work after the ack waits for the other requests' acks (a crowd acks first). */
  acks?: AckGate;
  clock: Clock;
}

/**
 * The buttons on the watcher's alert ("Request failover") and on calendar reminders ("Start the
 * drill"): acknowledged at once, then a normal request as the clicker; the approval card is posted
 * like any other and refusals reach only the clicker. The alert's button asks the typed
 * confirmation of a real failover first, as `/dr failover` does: the request is made when the
 * person submits the scope's name (src/slack/listeners/confirm-run-listener.ts).
 */
export function registerWatchListeners(app: App, deps: Deps): void {
  app.action<BlockAction<ButtonAction>>(
    WATCH_ACTION.alertFailover,
    async ({ ack, action, body, respond, context: bolt }) => {
      await ack();
      await deps.acks?.settled();
      const context = {
        operation: `slack.action.${WATCH_ACTION.alertFailover}`,
        user: body.user.id,
        ...(body.channel?.id ? { channel: body.channel.id } : {}),
      };
      try {
        const alertId = action.value ?? "";
        if (!/^[a-z0-9._-]{1,120}$/.test(alertId))
          throw new DrError("invalid_input", "this button carries an unexpected value");
        const record = await readOpenAlert(deps.store, alertId);
        await askConfirmation(
          {
            kind: record.remedy ?? "failover",
            targets: record.applications,
            reason: `${record.alert.site} down (alert ${alertId})`,
            channel: record.channel,
            alert: alertId,
          },
          {
            actor: body.user.id,
            channel: record.channel,
            triggerId: body.trigger_id,
            respond: respond as RespondFn,
            witness: slackWitness(bolt, body, deps.clock.now()),
          },
          deps,
        );
      } catch (error) {
        await replyError(respond as RespondFn, error, deps.log, context);
      }
    },
  );
  const on = (
    actionId: string,
    request: (value: string, actor: string, witness: Witness) => Promise<RequestOutcome>,
  ) => {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, action, body, respond, context: bolt }) => {
      await ack();
      await deps.acks?.settled();
      const context = {
        operation: `slack.action.${actionId}`,
        user: body.user.id,
        ...(body.channel?.id ? { channel: body.channel.id } : {}),
      };
      const ephemeral = (text: string) => answerEphemeral(respond as RespondFn, text, deps.log, context);
      try {
        const value = action.value ?? "";
        if (!/^[a-z0-9._-]{1,120}$/.test(value))
          throw new DrError("invalid_input", "this button carries an unexpected value");
        const outcome = await request(value, body.user.id, slackWitness(bolt, body, deps.clock.now()));
        const run = outcome.run;
        if (outcome.duplicate) {
          await ephemeral(`Already requested: \`${run.id}\` is ${run.state.replace(/_/g, " ")}.`);
          return;
        }
        await deps.notifier.postCard(run, run.channel ?? body.channel?.id ?? "");
        await ephemeral(
          `Requested \`${run.id}\`: needs ${run.requiredApprovals} approval(s) from someone other than you.`,
        );
      } catch (error) {
        await replyError(respond as RespondFn, error, deps.log, context);
      }
    });
  };
  on(WATCH_ACTION.reminderRequest, (reminderId, actor, witness) =>
    requestFromReminder(deps, { actor, reminderId, witness }),
  );
}
