import type { WebClient } from "@slack/web-api";
import type { Logger } from "../ports/logger.js";
import type { Notice } from "../ports/notices.js";

/**
 * A runbook's notice to a channel of its own, outside any run's thread; false when Slack refuses it
 * (logged with the run and the channel: the step that posted it decides what that means).
 */
export async function postLooseNotice(
  client: WebClient,
  log: Logger,
  channel: string,
  notice: Notice,
): Promise<boolean> {
  const icon = notice.level === "warning" ? ":rotating_light:" : ":mega:";
  try {
    await client.chat.postMessage({ channel, text: `${icon} ${notice.text}` });
    return true;
  } catch (error) {
    log.error("could not post a notice to its channel", {
      operation: "slack.notice",
      runId: notice.runId,
      channel,
      err: error,
    });
    return false;
  }
}
