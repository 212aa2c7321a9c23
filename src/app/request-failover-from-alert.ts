import { formatMs } from "../domain/duration.js";
import { DrError } from "../domain/errors.js";
import type { Witness } from "../ports/evidence.js";
import type { RunStore } from "../ports/run-store.js";
import type { DrService, RequestOutcome } from "./dr-service.js";
import { type AlertRecord, alertRecordKey } from "./serving-watcher.js";

/**
 * The alert's button: opens a request to move the applications the alert put at stake off the site
 * that is down (a failover from their home, a failback from DR, as the alert says), as the person who
 * clicked (who must be allowed to request failovers), through the normal request path, so
 * approvals are required as always. The first failed probe becomes the run's detection time, the
 * start of its RTO. One request per alert: later clicks find the same run.
 */
export async function requestFailoverFromAlert(
  deps: { service: DrService; store: Pick<RunStore, "kvGet"> },
  input: { actor: string; alertId: string; witness?: Witness },
): Promise<RequestOutcome & { record: AlertRecord }> {
  const record = await readOpenAlert(deps.store, input.alertId);
  const { alert } = record;
  const failing = alert.failing.map((f) => `${f.target}: ${f.detail}`).join("; ");
  const outcome = await deps.service.request({
    actor: input.actor,
    ...(input.witness ? { witness: input.witness } : {}),
    runbook: deps.service.runbookFor(record.remedy ?? "failover").name,
    targets: record.applications,
    reason: `${alert.site} down since ${new Date(alert.firstFailureAt).toISOString()} (alert ${alert.id}: ${failing})`,
    source: "watcher",
    channel: record.channel,
    detectedAt: alert.firstFailureAt,
    dedupeKey: `alert:${alert.id}`,
  });
  return { ...outcome, record };
}

/** The alert's record while it is open; refused (with what to do) when unknown, too old or cleared. */
export async function readOpenAlert(store: Pick<RunStore, "kvGet">, alertId: string): Promise<AlertRecord> {
  const raw = await store.kvGet(alertRecordKey(alertId));
  if (!raw) throw new DrError("invalid_input", "this alert is unknown or too old; use /dr failover");
  const record = JSON.parse(raw) as AlertRecord;
  const { alert } = record;
  if (alert.clearedAt !== undefined)
    throw new DrError(
      "invalid_state",
      alert.clearedBecause === "no_longer_serving"
        ? `${alert.site} no longer serves the applications of this alert; see /dr status for where they are served`
        : `${alert.site} recovered ${formatMs(alert.clearedAt - alert.openedAt)} after this alert; if a failover is still wanted, use /dr failover`,
    );
  return record;
}
