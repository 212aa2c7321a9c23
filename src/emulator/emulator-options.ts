import type { WebPageOptions } from "./web-page.js";

/**
 * What a test can configure on the emulator, and the defaults it gets otherwise. Ids follow Slack's
 * shapes (U…, C…, S…, B…, A…, T…) so Bolt's id-based logic (ignoreSelf, say(), routing) behaves as
 * it does against Slack. The bot's ids differ from every human's, or Bolt's ignoreSelf would drop
 * their interactions.
 */
export interface EmulatedUser {
  id: string;
  name: string;
  realName?: string;
  isAdmin?: boolean;
  deleted?: boolean;
}

export interface EmulatedChannel {
  id: string;
  name: string;
  isPrivate?: boolean;
  /** Who is in the channel; everyone when left out. */
  members?: string[];
  /** Whether the bot was invited; posting elsewhere answers `not_in_channel`. */
  botIsMember?: boolean;
}

export interface EmulatedUsergroup {
  id: string;
  handle: string;
  name?: string;
  users: string[];
}

export interface SlackEmulatorOptions {
  /** How interactions reach the app: signed HTTP POSTs to `requestUrl`, or Socket Mode envelopes. */
  mode?: "http" | "socket";
  /** The app's Request URL (HTTP mode), e.g. `http://127.0.0.1:PORT/slack/events`; settable later. */
  requestUrl?: string;
  signingSecret?: string;
  botToken?: string;
  appToken?: string;
  teamId?: string;
  teamDomain?: string;
  appId?: string;
  botUserId?: string;
  botId?: string;
  users?: EmulatedUser[];
  channels?: EmulatedChannel[];
  usergroups?: EmulatedUsergroup[];
  /** Slack's ack deadline; later acks are recorded as timeouts. */
  ackTimeoutMs?: number;
  /** How long the emulator keeps waiting after the deadline, so a late ack's latency can be measured. */
  ackObserveMs?: number;
  responseUrlMaxUses?: number;
  /** How long a trigger_id may open a modal (3 s on Slack). */
  triggerTtlMs?: number;
  responseUrlTtlMs?: number;
  /** Wall clock for ts values, response_url expiry and rate-limit windows; tests may pass a fake one. */
  now?: () => number;
  /** Serves a Slack-like page for people at `/` (the demo); off unless given. */
  webPage?: WebPageOptions;
}

export type ResolvedOptions = Required<Omit<SlackEmulatorOptions, "requestUrl" | "webPage">> & {
  requestUrl?: string;
  webPage?: WebPageOptions;
};

export const DEFAULT_USERS: EmulatedUser[] = [
  { id: "U0ALICE", name: "alice", realName: "Alice Oncall" },
  { id: "U0BOB", name: "bob", realName: "Bob Approver" },
  { id: "U0CAROL", name: "carol", realName: "Carol Commander" },
];

export const DEFAULT_CHANNELS: EmulatedChannel[] = [
  { id: "C0GENERAL", name: "general" },
  { id: "C0INCIDENT", name: "incident" },
];

export const DEFAULT_USERGROUPS: EmulatedUsergroup[] = [
  { id: "S0ONCALL", handle: "oncall", name: "On-call", users: ["U0ALICE", "U0BOB"] },
];

export function resolveOptions(options: SlackEmulatorOptions): ResolvedOptions {
  return {
    mode: options.mode ?? "http",
    ...(options.requestUrl ? { requestUrl: options.requestUrl } : {}),
    ...(options.webPage ? { webPage: options.webPage } : {}),
    signingSecret: options.signingSecret ?? "emulator-signing-secret",
    botToken: options.botToken ?? "xoxb-0000-emulator-bot",
    appToken: options.appToken ?? "xapp-1-A0DRBOT-emulator",
    teamId: options.teamId ?? "T0DRTEAM",
    teamDomain: options.teamDomain ?? "drbot-emulator",
    appId: options.appId ?? "A0DRBOT",
    botUserId: options.botUserId ?? "U0DRBOT",
    botId: options.botId ?? "B0DRBOT",
    users: options.users ?? DEFAULT_USERS,
    channels: options.channels ?? DEFAULT_CHANNELS,
    usergroups: options.usergroups ?? DEFAULT_USERGROUPS,
    ackTimeoutMs: options.ackTimeoutMs ?? 3_000,
    ackObserveMs: options.ackObserveMs ?? 10_000,
    responseUrlMaxUses: options.responseUrlMaxUses ?? 5,
    triggerTtlMs: options.triggerTtlMs ?? 3_000,
    responseUrlTtlMs: options.responseUrlTtlMs ?? 30 * 60_000,
    now: options.now ?? Date.now,
  };
}
