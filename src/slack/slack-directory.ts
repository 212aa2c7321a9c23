import type { WebClient } from "@slack/web-api";
import type { Directory } from "../ports/directory.js";
import { type Logger, silentLogger } from "../ports/logger.js";

/**
 * User-group membership from Slack (usergroups.users.list), cached for a minute. On any failure the
 * person is in no group: eligibility is denied, never granted, by an error; the failure is logged,
 * since to the person it looks like a refusal.
 */
export class SlackDirectory implements Directory {
  private readonly cache = new Map<string, { users: string[]; at: number }>();

  constructor(
    private readonly client: WebClient,
    private readonly groups: () => string[],
    private readonly log: Logger = silentLogger,
    private readonly ttlMs = 60_000,
  ) {}

  async groupsOf(userId: string): Promise<string[]> {
    const member: string[] = [];
    for (const group of this.groups()) {
      const users = await this.members(group);
      if (users.includes(userId)) member.push(group);
    }
    return member;
  }

  private async members(group: string): Promise<string[]> {
    const cached = this.cache.get(group);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.users;
    try {
      const reply = await this.client.usergroups.users.list({ usergroup: group });
      const users = reply.users ?? [];
      this.cache.set(group, { users, at: Date.now() });
      return users;
    } catch (error) {
      this.log.warn(`could not read the members of user group ${group}; nobody counts as in it for now`, {
        operation: "slack.usergroup-members",
        group,
        err: error,
      });
      return [];
    }
  }
}
