import type { DrAlert } from "../../domain/dr-alert.js";
import { type Block, clip, context, escapeMrkdwn, LIMITS, section, type View } from "./block-kit.js";

const ICON: Record<DrAlert["severity"], string> = {
  critical: ":rotating_light:",
  warning: ":warning:",
  info: ":white_check_mark:",
};

/** An alert in the channel: the summary, one line per fact, and its key to match a resolution. */
export function alertView(alert: DrAlert): View {
  const icon = alert.status === "resolved" ? ":white_check_mark:" : ICON[alert.severity];
  const blocks: Block[] = [
    section(`${icon} *${escapeMrkdwn(alert.summary)}*`),
    ...(alert.details.length > 0
      ? [section(clip(alert.details.map((d) => `• ${escapeMrkdwn(d)}`).join("\n"), LIMITS.sectionText))]
      : []),
    context([`${alert.status} · ${escapeMrkdwn(alert.key)}`]),
  ];
  return {
    text: clip(`${alert.status === "resolved" ? "Resolved: " : ""}${alert.summary}`, LIMITS.messageText),
    blocks,
  };
}
