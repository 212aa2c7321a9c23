import type { WebClient } from "@slack/web-api";
import type { PeopleNames } from "../ports/directory.js";
import { type Logger, silentLogger } from "../ports/logger.js";

/**
 * Names from Slack's users.info (the person's real name, else their display name, else the handle:
 * a report is read by people who may not know the handles), cached for an hour: names change rarely and a report names the same few people again.
 * All lookups of one call share one deadline (default 2 s; use a client from `directoryClient`, which
 * refuses a 429 at once); a person not named by then is left out and shown by ID. A failure is
 * logged once while it lasts, since a report then shows IDs.
 */
export class SlackPeopleNames implements PeopleNames {
  private readonly cache = new Map<string, { name: string; at: number }>();
  private failing = false;
  private readonly log: Logger;
  private readonly deadlineMs: number;
  private readonly cacheTtlMs: number;

  constructor(
    private readonly client: WebClient,
    options: { log?: Logger; deadlineMs?: number; cacheTtlMs?: number } = {},
  ) {
    this.log = options.log ?? silentLogger;
    this.deadlineMs = options.deadlineMs ?? 2_000;
    this.cacheTtlMs = options.cacheTtlMs ?? 3_600_000;
  }

  async namesOf(userIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const names = new Map<string, string>();
    const now = Date.now();
    const wanted = [...new Set(userIds)].filter((id) => /^[UW][A-Z0-9]{2,}$/.test(id));
    const missing: string[] = [];
    for (const id of wanted) {
      const cached = this.cache.get(id);
      if (cached && now - cached.at < this.cacheTtlMs) names.set(id, cached.name);
      else missing.push(id);
    }
    if (missing.length === 0) return names;
    const deadline = AbortSignal.timeout(this.deadlineMs);
    const late = new Promise<undefined>((resolve) =>
      deadline.addEventListener("abort", () => resolve(undefined), { once: true }),
    );
    const found = await Promise.all(missing.map((id) => Promise.race([this.lookup(id), late])));
    missing.forEach((id, i) => {
      const name = found[i];
      if (name) names.set(id, name);
    });
    return names;
  }

  private async lookup(id: string): Promise<string | undefined> {
    try {
      const reply = await this.client.users.info({ user: id });
      const u = reply.user;
      const name = u?.profile?.real_name || u?.real_name || u?.profile?.display_name || u?.name;
      if (name) this.cache.set(id, { name, at: Date.now() });
      if (this.failing) {
        this.failing = false;
        this.log.info("people's names can be read from Slack again", { operation: "slack.users-info" });
      }
      return name;
    } catch (error) {
      // Shown by ID instead: a report must not wait on Slack. Said once while it lasts.
      if (!this.failing) {
        this.failing = true;
        this.log.warn("could not read a person's name from Slack; reports show user IDs for now", {
          operation: "slack.users-info",
          userId: id,
          err: error,
        });
      }
      return undefined;
    }
  }
}
