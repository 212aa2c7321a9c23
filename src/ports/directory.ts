/**
 * Who people are: the user groups a person belongs to, for approver eligibility. The Slack adapter
 * asks usergroups.users.list (cached briefly); the CLI uses the configuration alone.
 * Must answer within its own deadline; on failure it returns no groups (deny by default).
 */
export interface Directory {
  groupsOf(userId: string): Promise<string[]>;
}

export const noGroups: Directory = { groupsOf: async () => [] };
