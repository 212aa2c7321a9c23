import { DrError } from "../domain/errors.js";
import type { Witness } from "../ports/evidence.js";
import type { RunStore } from "../ports/run-store.js";
import type { CalendarReminder } from "../ports/watch-notifier.js";
import { reminderKey } from "./dr-calendar.js";
import type { DrService, RequestOutcome } from "./dr-service.js";

/**
 * A calendar reminder's button (the quarterly drill): requests the reminder's runbook for its
 * targets as the person who clicked, through the normal path, so permissions and approvals apply.
 */
export async function requestFromReminder(
  deps: { service: DrService; store: Pick<RunStore, "kvGet"> },
  input: { actor: string; reminderId: string; witness?: Witness },
): Promise<RequestOutcome & { reminder: CalendarReminder }> {
  const raw = await deps.store.kvGet(reminderKey(input.reminderId));
  if (!raw) throw new DrError("invalid_input", "this reminder is unknown or too old; use /dr drill");
  const reminder = JSON.parse(raw) as CalendarReminder;
  const outcome = await deps.service.request({
    actor: input.actor,
    ...(input.witness ? { witness: input.witness } : {}),
    runbook: reminder.runbook,
    targets: reminder.targets,
    reason: `scheduled ${reminder.schedule}: ${reminder.text}`,
    source: "schedule",
    channel: reminder.channel,
    dedupeKey: `reminder:${reminder.id}`,
  });
  return { ...outcome, reminder };
}
