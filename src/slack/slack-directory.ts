import { type Logger as SlackLogger, WebClient } from "@slack/web-api";
import type { Directory } from "../ports/directory.js";
import { type Logger, silentLogger } from "../ports/logger.js";

/** How long one group lookup may take in all, retries included. */
const LOOKUP_DEADLINE_MS = 3_000;
/**
 * How long a failed lookup's answer (nobody) is reused: decisions during a Slack degradation are
 * denied at once for this long instead of each waiting out the deadline again.
 */
const FAILURE_REUSE_MS = 10_000;

/**
 * The WebClient for directory lookups: at most 2 retries, each request under the lookup's deadline,
 * and a 429 refused at once instead of waited out (Slack's default is 10 retries over about 30
 * minutes: a permission decision cannot wait that long).
 */
export function directoryClient(
  token: string,
  options: { apiUrl?: string; fetch?: typeof fetch; logger?: SlackLogger } = {},
): WebClient {
  return new WebClient(token, {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    timeout: LOOKUP_DEADLINE_MS,
    retryConfig: { retries: 2, factor: 2, minTimeout: 100, maxTimeout: 1_000 },
    rejectRateLimitedCalls: true,
  });
}

/**
 * User-group membership from Slack (usergroups.users.list), cached for `cacheTtlMs` (the
 * configuration's slack.directoryCacheTtl). The groups asked about are looked up in parallel, each
 * within 3 s in all (use a client from `directoryClient`: at most 2 retries), and one lookup per group
 * is in flight at a time however many decisions wait for it. On any failure the person is in no
 * group: eligibility is denied, never granted, by an error, and that answer is reused for 10 s (at
 * most the TTL) so decisions meanwhile do not each wait out the deadline; the failure is logged once
 * while it lasts, since to the person it looks like a refusal.
 */
export class SlackDirectory implements Directory {
  private readonly cache = new Map<string, { users: string[]; at: number }>();
  private readonly inflight = new Map<string, Promise<string[]>>();
  private readonly failing = new Set<string>();
  private readonly log: Logger;
  private readonly cacheTtlMs: number;
  private readonly deadlineMs: number;

  constructor(
    private readonly o: {
      client: WebClient;
      /** Every group the configuration names, for a lookup that names none. */
      groups: () => string[];
      log?: Logger;
      cacheTtlMs?: number;
      deadlineMs?: number;
    },
  ) {
    this.log = o.log ?? silentLogger;
    this.cacheTtlMs = o.cacheTtlMs ?? 60_000;
    this.deadlineMs = o.deadlineMs ?? LOOKUP_DEADLINE_MS;
  }

  async groupsOf(userId: string, among?: readonly string[]): Promise<string[]> {
    const groups = [...new Set(among ?? this.o.groups())];
    const found = await Promise.all(
      groups.map(async (group) => ((await this.members(group)).includes(userId) ? group : undefined)),
    );
    return found.filter((group): group is string => group !== undefined);
  }

  private members(group: string): Promise<string[]> {
    const cached = this.cache.get(group);
    if (cached && Date.now() - cached.at < this.cacheTtlMs) return Promise.resolve(cached.users);
    const running = this.inflight.get(group);
    if (running) return running;
    const lookup = this.lookup(group).finally(() => this.inflight.delete(group));
    this.inflight.set(group, lookup);
    return lookup;
  }

  private async lookup(group: string): Promise<string[]> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Slack did not answer within ${this.deadlineMs} ms`)),
        this.deadlineMs,
      );
    });
    try {
      const reply = await Promise.race([this.o.client.usergroups.users.list({ usergroup: group }), late]);
      const users = reply.users ?? [];
      this.cache.set(group, { users, at: Date.now() });
      if (this.failing.delete(group))
        this.log.info(`the members of user group ${group} can be read again`, {
          operation: "slack.usergroup-members",
          group,
        });
      return users;
    } catch (error) {
      const reuseMs = Math.min(FAILURE_REUSE_MS, this.cacheTtlMs);
      this.cache.set(group, { users: [], at: Date.now() - this.cacheTtlMs + reuseMs });
      if (!this.failing.has(group)) {
        this.failing.add(group);
        this.log.warn(`could not read the members of user group ${group}; nobody counts as in it for now`, {
          operation: "slack.usergroup-members",
          group,
          err: error,
        });
      }
      return [];
    } finally {
      clearTimeout(timer);
    }
  }
}
