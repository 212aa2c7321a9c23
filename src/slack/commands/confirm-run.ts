import { answerWithin } from "../../app/answer-within.js";
import { DrError, describeError } from "../../domain/errors.js";
import { runExposure } from "../../domain/rpo.js";
import type { ConfirmedRequest } from "../../domain/run-confirmation.js";
import { type ConfirmRunModalInput, confirmRunModal } from "../views/confirm-run-modal.js";
import type { Invocation, SlackCommandDeps } from "./slack-command.js";

/** Slack's trigger id opens a modal for 3 s: the readings that are not in by then follow in an update. */
const READ_BEFORE_OPEN_MS = 1_000;
const READINESS_WAIT_MS = 500;

/**
 * Opens the confirmation modal of a real failover or failback (src/slack/views/confirm-run-modal.ts)
 * with the command's trigger id. The plan is made first, so a scope the runbook refuses is told at
 * once as before, and nothing is asked. When the data sources have not answered within a second, the
 * modal opens saying they are being read, without its input, and is updated once they answer (or
 * fail): nobody confirms before seeing the data at risk.
 */
export async function askConfirmation(
  request: ConfirmedRequest,
  inv: Invocation,
  deps: SlackCommandDeps,
): Promise<void> {
  const s = deps.service;
  const plan = await s.plan({
    runbook: s.runbookFor(request.kind).name,
    targets: request.targets,
    withShared: request.withShared === true,
    ...(request.backup ? { pins: { backup: request.backup } } : {}),
  });
  const readiness = s.readiness(READINESS_WAIT_MS, "slack.confirm-run");
  const exposure: Promise<ConfirmRunModalInput["exposure"]> = s.rpo().then(
    (tiers) => runExposure(tiers, plan.scope.tiers),
    (error: unknown) => {
      deps.log.warn("could not read the data at risk for a confirmation", {
        operation: "slack.confirm-run",
        user: inv.actor,
        err: error,
      });
      return { unreadable: describeError(error) };
    },
  );
  const early = await answerWithin(exposure, READ_BEFORE_OPEN_MS, "reading" as const);
  const input = { request, plan, readiness: await readiness, now: deps.clock.now() };
  let opened: Awaited<ReturnType<typeof deps.client.views.open>>;
  try {
    opened = await deps.client.views.open({
      trigger_id: inv.triggerId,
      view: confirmRunModal({ ...input, exposure: early }),
    });
  } catch (error) {
    throw new DrError(
      "unavailable",
      `Slack did not open the confirmation (${describeError(error)}); nothing was requested. Type the command again.`,
    );
  }
  if (early !== "reading") return;
  const view = opened.view;
  if (!view?.id) return;
  try {
    await deps.client.views.update({
      view_id: view.id,
      ...(view.hash ? { hash: view.hash } : {}),
      view: confirmRunModal({ ...input, exposure: await exposure, now: deps.clock.now() }),
    });
  } catch (error) {
    // The person may have closed the modal meanwhile; either way nothing was requested.
    deps.log.warn("could not show the data at risk in the confirmation", {
      operation: "slack.confirm-run",
      user: inv.actor,
      err: error,
    });
  }
}
