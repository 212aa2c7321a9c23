/**
 * Failures a test can inject into the next calls of a method: an HTTP status Slack's edge may
 * answer (500, 503…), a platform error with HTTP 200 (`{ok:false, error}`), or a delay before the
 * normal answer (a slow or hanging Slack: the connection stays open, nothing comes back until
 * then), to see how the bot copes. @slack/web-api retries the first and never the second.
 */
export type InjectedFault = { status: number } | { error: string } | { delayMs: number };

export class FaultInjector {
  private readonly planned = new Map<string, { fault: InjectedFault; remaining: number }>();

  failNext(method: string, fault: InjectedFault, times = 1): void {
    this.planned.set(method, { fault, remaining: times });
  }

  clear(): void {
    this.planned.clear();
  }

  /** The fault for this call, if one is planned; each call uses one up. */
  take(method: string): InjectedFault | undefined {
    const plan = this.planned.get(method);
    if (!plan || plan.remaining <= 0) return undefined;
    plan.remaining--;
    if (plan.remaining === 0) this.planned.delete(method);
    return plan.fault;
  }
}
