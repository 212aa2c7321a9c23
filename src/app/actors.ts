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

  /**
   * The person's roles for runs of `kind`. People listed by user id are decided without asking the
   * directory; only the groups of a role still undecided are looked up, in one parallel lookup.
   * `role` names the only role the caller needs (approving, rejecting and operating a run need the
   * approver role, requesting the requester role): the other one is then known by user id alone.
   * Groups that cannot be read count as none (deny a person acting now), unless `groupsMustAnswer`:
   * then the failure is thrown, for a caller that must not read "unknown" as "not an approver" (the
   * engine's check of a running failover, which a Slack outage must not abort).
   */
  async of(
    userId: string,
    kind: RunKind,
    options: { scheduler?: boolean; role?: "requester" | "approver"; groupsMustAnswer?: boolean } = {},
  ): Promise<Actor> {
    const permissions = this.config.slack.permissions[kind];
    const roles = {
      requester: permissions.requesters,
      approver: permissions.approvers,
    } as const;
    const byId = {
      requester: isListed(roles.requester, userId, []),
      approver: isListed(roles.approver, userId, []),
    };
    const undecided = (["requester", "approver"] as const).filter(
      (role) => !byId[role] && (options.role === undefined || options.role === role),
    );
    const among = [...new Set(undecided.flatMap((role) => roles[role].groups))];
    const groups =
      among.length === 0
        ? []
        : options.groupsMustAnswer
          ? await this.directory.groupsOf(userId, among)
          : await this.groupsOf(userId, among);
    return {
      userId,
      requester:
        byId.requester || (undecided.includes("requester") && isListed(roles.requester, userId, groups)),
      approver: byId.approver || (undecided.includes("approver") && isListed(roles.approver, userId, groups)),
      ...(options.scheduler ? { scheduler: true } : {}),
    };
  }

  /** Groups that cannot be read count as none: deny by default, and say so in the log. */
  private async groupsOf(userId: string, among: readonly string[]): Promise<string[]> {
    try {
      return await this.directory.groupsOf(userId, among);
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
