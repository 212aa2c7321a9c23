import type { RunRecord } from "./run.js";

/**
 * Keys of `RunRecord.annotations` that more than one surface reads. Annotations say something about
 * how a run is shown or delivered, never about what it does.
 */
export const ANNOTATION = {
  /** Set when Slack refused the run's messages for good ("stopped: <code>: <meaning>"). */
  slackUpdates: "slack.updates",
} as const;

/** What a run's annotations warn about, one line each, for `status` and `show`. */
export function annotationWarnings(run: Pick<RunRecord, "id" | "annotations">): string[] {
  const slack = run.annotations[ANNOTATION.slackUpdates];
  return slack ? [`run ${run.id}: Slack updates ${slack}`] : [];
}
