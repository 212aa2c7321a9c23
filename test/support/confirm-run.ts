import { confirmationName, readConfirmation } from "../../src/domain/run-confirmation.js";
import type { InteractionResult, SlackEmulator } from "../../src/emulator/slack-emulator.js";

/**
 * `/dr TEXT` typed as a person does it: a real failover or failback opens drbot's confirmation modal,
 * and the person types the scope's name in it and submits (through the emulator, signed, as Slack
 * sends it). Anything else, and a request refused before the modal opens (an ephemeral answer), is
 * the command alone. `confirm: false` leaves the modal open for a test to act on.
 */
export async function typeDrCommand(
  emulator: SlackEmulator,
  input: { userId: string; channelId: string; text: string; confirm?: boolean; timeoutMs?: number },
): Promise<InteractionResult> {
  const before = emulator.views.modal(input.userId)?.id;
  const ephemerals = emulator.ephemerals(input.userId).length;
  const result = await emulator.sendSlashCommand({
    userId: input.userId,
    channelId: input.channelId,
    text: input.text,
  });
  const real = /^\s*(failover|failback)\b/.test(input.text) && !/--dry-run\b/.test(input.text);
  if (!real || input.confirm === false || result.outcome !== "acked") return result;
  const asked = await emulator.waitFor(
    () => {
      const modal = emulator.views.modal(input.userId);
      if (modal && modal.id !== before && modal.view.submit) return { modal };
      if (emulator.ephemerals(input.userId).length > ephemerals) return { refused: true };
      return undefined;
    },
    {
      description: `the confirmation modal of "${input.text}" for ${input.userId}, or drbot's answer`,
      timeoutMs: input.timeoutMs ?? 10_000,
    },
  );
  if (!("modal" in asked) || !asked.modal) return result;
  const request = readConfirmation(String(asked.modal.view.private_metadata ?? ""));
  if (!request) throw new Error("the confirmation modal carries no request drbot can read");
  const submitted = await emulator.submitView({
    userId: input.userId,
    viewId: asked.modal.id,
    values: { typed: confirmationName(request.targets) },
  });
  if (submitted.viewOutcome !== "closed")
    throw new Error(
      `the confirmation was not accepted: ${submitted.viewOutcome} ${JSON.stringify(submitted.errors)}`,
    );
  return result;
}

/**
 * Confirms the modal drbot opened for a person (after a click that asks the typed confirmation):
 * waits for it to offer its input (a modal other than `before`), types the scope's name and submits.
 */
export async function confirmOpenModal(
  emulator: SlackEmulator,
  userId: string,
  options: { before?: string; timeoutMs?: number } = {},
): Promise<void> {
  const modal = await emulator.waitFor(
    () => {
      const open = emulator.views.modal(userId);
      return open && open.id !== options.before && open.view.submit ? open : undefined;
    },
    { description: `the confirmation modal for ${userId}`, timeoutMs: options.timeoutMs ?? 10_000 },
  );
  const request = readConfirmation(String(modal.view.private_metadata ?? ""));
  if (!request) throw new Error("the confirmation modal carries no request drbot can read");
  const submitted = await emulator.submitView({
    userId,
    viewId: modal.id,
    values: { typed: confirmationName(request.targets) },
  });
  if (submitted.viewOutcome !== "closed")
    throw new Error(
      `the confirmation was not accepted: ${submitted.viewOutcome} ${JSON.stringify(submitted.errors)}`,
    );
}
