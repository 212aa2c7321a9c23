import type { ServingMove } from "../../domain/site-state.js";
import {
  DEFAULT_SERVING_HISTORY,
  type RecordServingOutcome,
  type SiteStateStore,
} from "../../ports/site-state.js";

/**
 * The site state in memory, for unit tests and the demo: the same contract as the Redis store
 * (compare-and-set, all or none, capped history), checked by the same suite. Values are copied in
 * and out. Nothing here waits.
 */
export class MemorySiteState implements SiteStateStore {
  private readonly moves = new Map<string, ServingMove>();
  /** Oldest first. */
  private readonly log: ServingMove[] = [];

  constructor(private readonly maxHistory = DEFAULT_SERVING_HISTORY) {}

  async current(): Promise<ServingMove[]> {
    return [...this.moves.values()].map((m) => ({ ...m }));
  }

  async record(
    moves: readonly ServingMove[],
    expected: Readonly<Record<string, string | null>>,
  ): Promise<RecordServingOutcome> {
    for (const move of moves) {
      const current = this.moves.get(move.application);
      if ((current?.runId ?? null) !== (expected[move.application] ?? null))
        return { ok: false, application: move.application, ...(current ? { current: { ...current } } : {}) };
    }
    for (const move of moves) {
      this.moves.set(move.application, { ...move });
      this.log.push({ ...move });
    }
    if (this.log.length > this.maxHistory) this.log.splice(0, this.log.length - this.maxHistory);
    return { ok: true };
  }

  async history(options: { application?: string; limit?: number } = {}): Promise<ServingMove[]> {
    const { application, limit = 50 } = options;
    if (limit <= 0) return [];
    return this.log
      .filter((m) => application === undefined || m.application === application)
      .slice(-limit)
      .reverse()
      .map((m) => ({ ...m }));
  }
}
