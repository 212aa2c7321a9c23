/**
 * A runbook's announcement to people (the `notify` step): posted to the run's incident channel.
 * Step kinds get it through StepServices.notify; the Slack surface delivers it.
 */
export interface Notice {
  runId: string;
  text: string;
  level: "info" | "warning";
  /** Where to post it instead of the run's own channel (a refused run is announced in the incident channel). */
  channel?: string;
}

/** Delivers a notice; resolves false when it had nowhere to go (no channel for the run). */
export type NoticeSink = (notice: Notice) => Promise<boolean>;

/**
 * A sink attached later: the engine's services are built before the Slack surface that posts the
 * notices, so the runtime hands steps this relay and the surface attaches itself once it exists.
 * Without a surface (the CLI, `serve` without Slack) a notice is not delivered and says so.
 */
export class NoticeRelay {
  private sink: NoticeSink | undefined;

  attach(sink: NoticeSink): void {
    this.sink = sink;
  }

  readonly post = async (notice: Notice): Promise<boolean> => (this.sink ? this.sink(notice) : false);
}
