/**
 * Keeps an active run's progress message moving: `arm` after each edit of it, and `refreshMs` later,
 * unless armed again by a newer edit, `redraw` is called with the run's id (the notifier queues an
 * edit, read fresh from the store, under its usual rate limit). So elapsed time and time left
 * refresh while the run waits for a person or a retry, and an edit already due for another reason
 * costs no extra one. `clear` when the run's messages are final. Timers never hold the process open.
 */
export class ProgressClock {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly refreshMs: number,
    private readonly redraw: (runId: string) => void,
  ) {}

  arm(runId: string): void {
    clearTimeout(this.timers.get(runId));
    const timer = setTimeout(() => {
      this.timers.delete(runId);
      this.redraw(runId);
    }, this.refreshMs);
    timer.unref();
    this.timers.set(runId, timer);
  }

  clear(runId: string): void {
    clearTimeout(this.timers.get(runId));
    this.timers.delete(runId);
  }

  /** Stops every clock (the surface is shutting down). */
  clearAll(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** Runs whose clock is armed (tests). */
  get armed(): number {
    return this.timers.size;
  }
}
