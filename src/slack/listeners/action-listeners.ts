import type { App, BlockAction, ButtonAction, RespondFn } from "@slack/bolt";
import type { DrService } from "../../app/dr-service.js";
import { APPROVAL_GATE_ITEM } from "../../domain/approval-gate.js";
import { DrError } from "../../domain/errors.js";
import { parseApproveValue } from "../../domain/slack-actions.js";
import type { Clock } from "../../ports/clock.js";
import type { Witness } from "../../ports/evidence.js";
import type { Logger } from "../../ports/logger.js";
import type { AckGate } from "../ack-gate.js";
import { slackWitness } from "../slack-witness.js";
import { ACTION } from "../views/run-view-parts.js";
import { answerEphemeral, replyError } from "./reply-error.js";

/**
 * Buttons on drbot's messages. Each click is acknowledged at once, then (once the requests that arrived
 * with it are acked too: AckGate) goes through a use case that checks who clicked; refusals reach only the clicker and the audit trail. Double clicks are
 * harmless: a second approval or tick by the same person changes nothing.
 */
export function registerActionListeners(
  app: App,
  deps: { service: DrService; log: Logger; clock: Clock; acks?: AckGate },
): void {
  const on = (
    pattern: string | RegExp,
    handle: (value: string, actor: string, witness: Witness) => Promise<string | undefined>,
  ) => {
    app.action<BlockAction<ButtonAction>>(pattern, async ({ ack, action, body, respond, context: bolt }) => {
      await ack();
      await deps.acks?.settled();
      const context = {
        operation: `slack.action.${action.action_id}`,
        user: body.user.id,
        ...(body.channel?.id ? { channel: body.channel.id } : {}),
      };
      try {
        const witness = slackWitness(bolt, body, deps.clock.now());
        const note = await handle(action.value ?? "", body.user.id, witness);
        if (note) await answerEphemeral(respond as RespondFn, note, deps.log, context);
      } catch (error) {
        await replyError(respond as RespondFn, error, deps.log, context);
      }
    });
  };
  const split = (value: string, parts: number, optional = 0): string[] => {
    const out = value.split("|");
    if (
      out.length < parts ||
      out.length > parts + optional ||
      out.some((p) => !/^[a-zA-Z0-9._-]{1,120}$/.test(p))
    )
      throw new DrError("invalid_input", "this button carries an unexpected value");
    return out;
  };

  on(ACTION.approve, async (value, actor, witness) => {
    split(value, 2, 2);
    const click = parseApproveValue(value);
    const { run, started } = await deps.service.approve({
      actor,
      runId: click.runId,
      planHash: click.planHash,
      // The click names the data-loss and readiness readings it accepts; the proof check compares
      // them with the run's.
      acceptsDataLoss: click.acceptsDataLoss !== undefined,
      acceptsNotReady: click.acceptsNotReady !== undefined,
      witness,
    });
    if (run.state === "pending_approval" && run.stateReason?.startsWith("approvals voided"))
      return `${run.stateReason.replace(/^approvals voided: /, "Every approval was voided: ")}. Review the new card.`;
    return started ? undefined : `Approved (${run.approvals.length}/${run.requiredApprovals}).`;
  });
  // Reject opens a modal for the reason: src/slack/listeners/reject-listeners.ts.
  on(new RegExp(`^${ACTION.tick}:\\d+$`), async (value, actor, witness) => {
    const [runId, stepId, index] = split(value, 3) as [string, string, string];
    const { run } = await deps.service.show(runId);
    const step = run.plan.steps.find((s) => s.id === stepId);
    const item = (step?.params.items as string[] | undefined)?.[Number(index)];
    if (!item) throw new DrError("invalid_input", "that checklist item does not exist");
    await deps.service.tick({ actor, runId, stepId, item, witness });
    return undefined;
  });
  on(ACTION.gate, async (value, actor, witness) => {
    const [runId, stepId] = split(value, 2) as [string, string];
    await deps.service.tick({ actor, runId, stepId, item: APPROVAL_GATE_ITEM, witness });
    return undefined;
  });
  on(ACTION.resume, async (value, actor, witness) => {
    const [runId] = split(value, 1) as [string];
    await deps.service.resume({ actor, runId, witness });
    return undefined;
  });
  // Messages posted before skipping took a reason still carry a Skip button: it says how to skip now.
  on(ACTION.skip, async (value) => {
    const [runId, stepId] = split(value, 2) as [string, string];
    return `A skip is a decision with a reason: \`/dr skip ${runId} ${stepId} --reason "…"\` (an approver other than the requester).`;
  });
  on(ACTION.abort, async (value, actor, witness) => {
    const [runId] = split(value, 1) as [string];
    await deps.service.abort({ actor, runId, witness });
    return undefined;
  });
}
