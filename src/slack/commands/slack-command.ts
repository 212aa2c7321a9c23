import type { RespondFn } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import type { SlackCommandName } from "../../../commands/definitions.js";
import type { DrService } from "../../app/dr-service.js";
import type { RunReports } from "../../app/report/run-reports.js";
import type { Clock } from "../../ports/clock.js";
import type { Witness } from "../../ports/evidence.js";
import type { Logger } from "../../ports/logger.js";
import type { AckGate } from "../ack-gate.js";
import type { DrCommand } from "../parse-dr-command.js";
import type { SlackRunNotifier } from "../slack-run-notifier.js";

/** What every `/dr` subcommand handler gets: the parsed command, who typed it where, the services. */
export interface SlackCommandDeps {
  service: DrService;
  notifier: SlackRunNotifier;
  clock: Clock;
  reports: RunReports;
  client: WebClient;
  /** Where failures nobody in Slack can be told go, with the reference a person is given. */
  log: Logger;
  /** Work after the ack waits for the other requests' acks (a crowd acks first). */
  acks?: AckGate;
}

export interface Invocation {
  actor: string;
  channel: string;
  triggerId: string;
  respond: RespondFn;
  /** The proof of the command: Slack's signed request (or, in Socket Mode, what Slack said). */
  witness: Witness;
}

export type SlackCommandHandler = (cmd: DrCommand, inv: Invocation, deps: SlackCommandDeps) => Promise<void>;

/** One handler per command the table offers in Slack; the compiler refuses a missing or extra one. */
export type SlackCommandHandlers = Record<SlackCommandName, SlackCommandHandler>;

/** Answers only the person who typed the command. */
export async function ephemeral(respond: RespondFn, text: string): Promise<void> {
  await respond({ response_type: "ephemeral", text });
}

/** The run states as people read them: "paused failed step". */
export const stateWords = (state: string) => state.replace(/_/g, " ");
