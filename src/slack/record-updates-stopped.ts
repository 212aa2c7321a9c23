import type { RunEvent, RunRecord } from "../domain/run.js";
import { ANNOTATION } from "../domain/run-annotations.js";
import type { Clock } from "../ports/clock.js";
import type { RunStore } from "../ports/run-store.js";
import type { SlackFailure } from "./slack-failure.js";

/**
 * Writes on the run that Slack refuses its messages for good (annotation `slack.updates` and a
 * `run.note` event), so `drbot status` and `show` can say it. Compare-and-set by version, tried
 * again when the run changed meanwhile; a run no longer stored needs nothing written.
 */
export async function recordUpdatesStopped(
  store: RunStore,
  clock: Clock,
  runId: string,
  failure: SlackFailure,
): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const run = await store.getRun(runId);
    if (!run) return;
    const now = clock.now();
    const next: RunRecord = {
      ...run,
      annotations: { ...run.annotations, [ANNOTATION.slackUpdates]: `stopped: ${failure.text}` },
      version: run.version + 1,
      updatedAt: now,
    };
    const event: RunEvent = {
      type: "run.note",
      at: now,
      actor: "slack",
      runId,
      data: { slackUpdates: "stopped", error: failure.code, reason: failure.text },
    };
    if (await store.updateRun(next, run.version, event)) return;
  }
}
