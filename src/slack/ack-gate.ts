import type { HTTPReceiver } from "@slack/bolt";

/**
 * Acks first, work after. Slack gives an interaction 3 s to be acked and then tells the person it
 * failed; what drbot does after the ack (reading the sites for `/dr status`, writing an approval,
 * posting the answer) can start a little later without anyone noticing. In a crowd (a whole
 * incident channel typing `/dr status` at once, approvals among them) every request's way to its
 * ack shares the process's one event loop with the work after the others' acks, and taking turns
 * fairly makes every ack wait for most of that work. The gate counts the requests that arrived and
 * are not answered yet; a listener awaits `settled()` after its ack, which resolves once none is
 * left and none arrived for `quietMs`, or after `maxWaitMs` at the latest, so a steady stream of requests or one stuck request
 * never holds the work back for long. In Socket Mode nothing is counted and nothing waits.
 */
export class AckGate {
  private pending = 0;
  private arrivals = 0;
  private waiting = new Set<() => void>();

  /**
   * @param maxWaitMs the longest the work after an ack waits
   * @param quietMs how long no request may arrive after the last answer before the work starts: a
   *   crowd's requests do not all arrive in the same instant
   */
  constructor(
    private readonly maxWaitMs = 1_000,
    private readonly quietMs = 10,
  ) {}

  /** Requests arrived and not answered yet. */
  get unanswered(): number {
    return this.pending;
  }

  /** A request arrived; call the function returned once it is answered (more calls change nothing). */
  arrived(): () => void {
    this.pending++;
    this.arrivals++;
    let answered = false;
    return () => {
      if (answered) return;
      answered = true;
      this.pending--;
      if (this.pending === 0) this.releaseWhenQuiet();
    };
  }

  private releaseWhenQuiet(): void {
    const arrivals = this.arrivals;
    setTimeout(() => {
      if (this.pending > 0 || this.arrivals !== arrivals) return;
      for (const release of [...this.waiting]) release();
    }, this.quietMs);
  }

  /** Resolves once every request that arrived has been answered and a quiet moment passed, or after `maxWaitMs`. */
  settled(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.waiting.delete(release);
        resolve();
      };
      const timer = setTimeout(release, this.maxWaitMs);
      this.waiting.add(release);
    });
  }

  /** Counts every POST to `endpoint` from its arrival to the end of its response (ack or refusal). */
  watch(receiver: HTTPReceiver, endpoint: string): void {
    const handle = receiver.requestListener;
    receiver.requestListener = (req, res) => {
      if (req.method === "POST" && new URL(req.url ?? "/", "http://localhost").pathname === endpoint) {
        const answered = this.arrived();
        res.once("finish", answered);
        res.once("close", answered);
      }
      return handle(req, res);
    };
  }
}
