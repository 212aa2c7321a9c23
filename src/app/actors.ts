import type { Config, RunKind } from "../domain/config.js";
import { type Actor, isListed } from "../domain/permissions.js";
import type { Directory } from "../ports/directory.js";
import type { Logger } from "../ports/logger.js";

/**
 * Who a person is for a run of one kind, read at the moment they act: the configured requesters
 * and approvers, by user id or user group. What each role may do is src/domain/permissions.ts.
 */
export class Actors {
  constructor(
    private readonly config: Config,
    private readonly directory: Directory,
    private readonly log: Logger,
  ) {}

  async of(userId: string, kind: RunKind, options: { scheduler?: boolean } = {}): Promise<Actor> {
    const permissions = this.config.slack.permissions[kind];
    const needsGroups = permissions.requesters.groups.length > 0 || permissions.approvers.groups.length > 0;
    const groups = needsGroups ? await this.groupsOf(userId) : [];
    return {
      userId,
      requester: isListed(permissions.requesters, userId, groups),
      approver: isListed(permissions.approvers, userId, groups),
      ...(options.scheduler ? { scheduler: true } : {}),
    };
  }

  /** Groups that cannot be read count as none: deny by default, and say so in the log. */
  private async groupsOf(userId: string): Promise<string[]> {
    try {
      return await this.directory.groupsOf(userId);
    } catch (err) {
      this.log.warn("could not read a person's user groups; treating them as in none", {
        operation: "directory.groups",
        userId,
        err,
      });
      return [];
    }
  }
}
