/**
 * Rate limits a test switches on per method, answered as Slack does: HTTP 429 with `Retry-After`
 * in whole seconds. Slack's limits are per method and workspace (tiers, per minute) and, for
 * posting, about one message per second per channel; a sliding window models both. `nextCalls`
 * refuses the next N calls outright, for tests that want an exact number of 429s.
 */
export type RateLimitRule =
  | { perSecondPerChannel: number; retryAfterSec?: number }
  | { perMinute: number; retryAfterSec?: number }
  | { nextCalls: number; retryAfterSec?: number };

interface ActiveRule {
  rule: RateLimitRule;
  /** Accepted call times per window key (channel, or "*" for the whole method). */
  accepted: Map<string, number[]>;
  remainingRefusals: number;
}

export class RateLimiter {
  private readonly rules = new Map<string, ActiveRule>();

  constructor(private readonly now: () => number) {}

  set(method: string, rule: RateLimitRule): void {
    this.rules.set(method, {
      rule,
      accepted: new Map(),
      remainingRefusals: "nextCalls" in rule ? rule.nextCalls : 0,
    });
  }

  clear(method?: string): void {
    if (method === undefined) this.rules.clear();
    else this.rules.delete(method);
  }

  /** Admits a call (and remembers it) or returns the Retry-After seconds for a 429. */
  admit(
    method: string,
    channel: string | undefined,
  ): { admitted: true } | { admitted: false; retryAfterSec: number } {
    const active = this.rules.get(method);
    if (!active) return { admitted: true };
    const { rule } = active;
    if ("nextCalls" in rule) {
      if (active.remainingRefusals <= 0) return { admitted: true };
      active.remainingRefusals--;
      return { admitted: false, retryAfterSec: rule.retryAfterSec ?? 1 };
    }
    const [limit, windowMs, key] =
      "perSecondPerChannel" in rule
        ? [rule.perSecondPerChannel, 1_000, channel ?? "*"]
        : [rule.perMinute, 60_000, "*"];
    const now = this.now();
    const recent = (active.accepted.get(key) ?? []).filter((t) => now - t < windowMs);
    if (recent.length >= limit) {
      active.accepted.set(key, recent);
      const waitMs = recent[0]! + windowMs - now;
      return { admitted: false, retryAfterSec: rule.retryAfterSec ?? Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    recent.push(now);
    active.accepted.set(key, recent);
    return { admitted: true };
  }
}
