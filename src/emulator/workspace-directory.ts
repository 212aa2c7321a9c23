import type { EmulatedChannel, EmulatedUser, ResolvedOptions } from "./emulator-options.js";

/**
 * Who and where, from the configured users, channels and usergroups. A user id given as a channel
 * (chat.postMessage channel=U…) means the bot's direct message with that user, as on Slack; its
 * channel id is the user id with a D prefix.
 */
export function findUser(options: ResolvedOptions, userId: string): EmulatedUser | undefined {
  return options.users.find((u) => u.id === userId);
}

export function findChannel(options: ResolvedOptions, channelId: string): EmulatedChannel | undefined {
  const configured = options.channels.find((c) => c.id === channelId);
  if (configured) return configured;
  const dmUser = /^[UWD]/.test(channelId) ? findUser(options, `U${channelId.slice(1)}`) : undefined;
  return dmUser
    ? { id: `D${dmUser.id.slice(1)}`, name: dmUser.name, isPrivate: true, members: [dmUser.id] }
    : undefined;
}

export function isChannelMember(channel: EmulatedChannel, userId: string): boolean {
  return channel.members === undefined || channel.members.includes(userId);
}

export function findUsergroup(options: ResolvedOptions, id: string) {
  return options.usergroups.find((g) => g.id === id);
}
