/**
 * Who people are: the user groups a person belongs to, for approver eligibility. The Slack adapter
 * asks usergroups.users.list (cached briefly); the CLI uses the configuration alone.
 * Must answer within its own deadline (the Slack one: 3 s); on failure it returns no groups (deny
 * by default). Callers decide people listed by ID before asking, and name the groups that matter
 * (`among`), so only those are looked up.
 */
export interface Directory {
  /** The groups, of `among` (default: every group the configuration names), that `userId` is in. */
  groupsOf(userId: string, among?: readonly string[]): Promise<string[]>;
}

export const noGroups: Directory = { groupsOf: async () => [] };

/** A directory chosen after start-up (the Slack one exists only once the Slack client does). */
export class DirectoryRelay implements Directory {
  constructor(private target: Directory = noGroups) {}

  use(directory: Directory): void {
    this.target = directory;
  }

  groupsOf(userId: string, among?: readonly string[]): Promise<string[]> {
    return this.target.groupsOf(userId, among);
  }
}

/**
 * People's display names, for reports and the CLI (Slack itself shows mentions). The Slack adapter
 * asks users.info, cached, within its own deadline; whoever it cannot name within it is left out
 * (shown by ID), never waited for: a report or `drbot show` answers while Slack is down.
 */
export interface PeopleNames {
  /** The display names it could read, by user ID. Never throws. */
  namesOf(userIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

export const noNames: PeopleNames = { namesOf: async () => new Map() };

/** Names chosen after start-up (a Slack client exists only once its token is known). */
export class PeopleNamesRelay implements PeopleNames {
  constructor(private target: PeopleNames = noNames) {}

  use(names: PeopleNames): void {
    this.target = names;
  }

  namesOf(userIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    return this.target.namesOf(userIds);
  }
}
