import type { WebClient } from "@slack/web-api";
import type { RunReportFiles, RunReports } from "../app/report/run-reports.js";
import type { RunKind } from "../domain/config.js";
import type { RunEvent, RunRecord, RunState } from "../domain/run.js";
import { type Logger, silentLogger } from "../ports/logger.js";
import type { RunObserver } from "../ports/run-observer.js";

/**
 * Posts a run's report into its channel as files (Markdown, JSON, the timeline picture) when a
 * drill, failover or failback ends after a step of it started. Only the process that wrote the final
 * transition hears of it, so one report is posted per run. Slack being slow or down never touches the
 * run: the upload happens off the engine's path, each request with the WebClient's deadline.
 */
const REPORTED_KINDS: ReadonlySet<RunKind> = new Set(["drill", "failover", "failback"]);
const ENDED_AFTER_EXECUTING: ReadonlySet<RunState> = new Set([
  "completed",
  "completed_with_exceptions",
  "failed",
  "aborted",
]);

export class SlackReportPublisher implements RunObserver {
  readonly errors: string[] = [];
  readonly posted: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly client: WebClient,
    private readonly reports: RunReports,
    private readonly defaultChannel: string | undefined,
    /** Where failures are logged; they never reach the run. */
    private readonly log: Logger = silentLogger,
  ) {}

  onRunEvent(event: RunEvent, run: RunRecord): void {
    if (event.type !== "run.state" || !ENDED_AFTER_EXECUTING.has(run.state) || !REPORTED_KINDS.has(run.kind))
      return;
    // Aborted before anyone approved it: nothing ran, there is nothing to report.
    if (run.rto.approvedAt === undefined) return;
    const channel = run.channel ?? this.defaultChannel;
    if (!channel) return;
    const work = this.reports
      .files(run.id)
      .then(async (files) => {
        // Approved, then aborted before any step ran: nothing changed; its message says so, no report.
        if (files.report.steps.every((s) => s.attempts === 0)) return;
        await uploadReport(this.client, files, channel, `The report of ${run.id}`);
        this.posted.push(run.id);
      })
      .catch((error: unknown) => {
        const message = `report of ${run.id} not posted: ${error instanceof Error ? error.message : String(error)}`;
        this.errors.push(message);
        this.log.error(message, { operation: "slack.post-report", runId: run.id, err: error });
      })
      .finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  /** Resolves when every report started so far is posted or failed (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}

/** One message with the three files: the picture first, so Slack's preview shows it. */
export async function uploadReport(
  client: WebClient,
  files: RunReportFiles,
  channel: string,
  heading: string,
): Promise<void> {
  const id = files.report.run.id;
  await client.filesUploadV2({
    channel_id: channel,
    initial_comment: `${heading}: ${files.report.outcome}`,
    file_uploads: [
      { file: Buffer.from(files.svg), filename: `${id}-timeline.svg`, title: `${id} timeline` },
      { file: Buffer.from(files.markdown), filename: `${id}-report.md`, title: `${id} report` },
      { file: Buffer.from(files.json), filename: `${id}-report.json`, title: `${id} report (JSON)` },
    ],
  });
}
