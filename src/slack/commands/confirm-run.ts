import { answerWithin } from "../../app/answer-within.js";
import { ERROR_HEADLINES } from "../../app/error-messages.js";
import { DrError, describeError } from "../../domain/errors.js";
import { runExposure } from "../../domain/rpo.js";
import type { Plan } from "../../domain/run.js";
import { type ConfirmedRequest, encodeConfirmation } from "../../domain/run-confirmation.js";
import { escapeMrkdwn } from "../views/block-kit.js";
import { type ConfirmRunModalInput, confirmRunModal, confirmRunNotice } from "../views/confirm-run-modal.js";
import type { Invocation, SlackCommandDeps } from "./slack-command.js";

/** The data at risk not read this long after the plan follows in a second update. */
const READ_BEFORE_SHOW_MS = 1_000;
const READINESS_WAIT_MS = 500;

/**
 * The confirmation modal of a real failover or failback (src/slack/views/confirm-run-modal.ts): opened
 * at once with the command's trigger id (Slack honours it for 3 s from the command, and making the
 * plan on a loaded machine can take longer), saying the plan is being made; then updated with the
 * plan, the readiness verdict, the data at risk and the input, or with the refusal, which the person
 * is also told as for any command. When the data sources have not answered within a second of the
 * plan, the modal says they are being read, without its input, and is updated once they answer (or
 * fail): nobody confirms before seeing the data at risk.
 */
export async function askConfirmation(
  request: ConfirmedRequest,
  inv: Invocation,
  deps: Pick<SlackCommandDeps, "service" | "client" | "clock" | "log">,
): Promise<void> {
  const s = deps.service;
  const planRequest = {
    runbook: s.runbookFor(request.kind).name,
    targets: request.targets,
    withShared: request.withShared === true,
    ...(request.backup ? { pins: { backup: request.backup } } : {}),
  };
  if (!canCarry(request)) {
    await s.plan(planRequest); // a name the runbook refuses is told as such
    throw new DrError("invalid_input", "the reason is too long to confirm in Slack: say it in fewer words");
  }
  const modal = await openModal(request, inv, deps);
  const readiness = s.readiness(READINESS_WAIT_MS, "slack.confirm-run");
  const tiers = s.rpo().then(
    (read) => read,
    (error: unknown) => {
      deps.log.warn("could not read the data at risk for a confirmation", {
        operation: "slack.confirm-run",
        user: inv.actor,
        err: error,
      });
      return { unreadable: describeError(error) };
    },
  );
  let plan: Plan;
  try {
    plan = await s.plan(planRequest);
  } catch (error) {
    // The refusal is told in the modal and, as for any command, to the person and the audit trail.
    const words =
      error instanceof DrError
        ? `*${ERROR_HEADLINES[error.code]}*: ${escapeMrkdwn(error.message)}`
        : "drbot could not make the plan.";
    await modal.update(confirmRunNotice(request, `${words}\nNothing was requested.`));
    throw error;
  }
  const exposure: Promise<ConfirmRunModalInput["exposure"]> = tiers.then((read) =>
    "unreadable" in read ? read : runExposure(read, plan.scope.tiers),
  );
  const early = await answerWithin(exposure, READ_BEFORE_SHOW_MS, "reading" as const);
  const input = { request, plan, readiness: await readiness };
  await modal.update(confirmRunModal({ ...input, exposure: early, now: deps.clock.now() }));
  if (early === "reading")
    await modal.update(confirmRunModal({ ...input, exposure: await exposure, now: deps.clock.now() }));
}

/** Whether the request fits a modal's private_metadata (names as configured, reason and size bounded). */
function canCarry(request: ConfirmedRequest): boolean {
  try {
    encodeConfirmation(request);
    return true;
  } catch {
    // Told by the caller: the plan refuses a bad name, else the reason is too long.
    return false;
  }
}

/** Opens the modal at once, saying the plan is being made; `update` replaces its content (by hash). */
async function openModal(
  request: ConfirmedRequest,
  inv: Invocation,
  deps: Pick<SlackCommandDeps, "client" | "log">,
) {
  let opened: Awaited<ReturnType<typeof deps.client.views.open>>;
  try {
    opened = await deps.client.views.open({
      trigger_id: inv.triggerId,
      view: confirmRunNotice(request, "Making the plan and reading the data at risk and readiness…"),
    });
  } catch (error) {
    throw new DrError(
      "unavailable",
      `Slack did not open the confirmation (${describeError(error)}); nothing was requested. Type the command again.`,
    );
  }
  let hash = opened.view?.hash;
  const viewId = opened.view?.id;
  return {
    async update(view: ReturnType<typeof confirmRunModal>): Promise<void> {
      if (!viewId) return;
      try {
        const updated = await deps.client.views.update({ view_id: viewId, ...(hash ? { hash } : {}), view });
        hash = updated.view?.hash;
      } catch (error) {
        // The person may have closed the modal meanwhile; either way nothing was requested.
        deps.log.warn("could not update the confirmation modal", {
          operation: "slack.confirm-run",
          user: inv.actor,
          err: error,
        });
      }
    },
  };
}
