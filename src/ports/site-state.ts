import type { ServingMove } from "../domain/site-state.js";

export type { ServingMove } from "../domain/site-state.js";

/** What `record` answers: written, or the move that was found where another was expected. */
export type RecordServingOutcome =
  | { ok: true }
  | {
      ok: false;
      application: string;
      /** The move recorded for it now (absent: none, though one was expected). */
      current?: ServingMove;
    };

/**
 * Where drbot keeps which site serves each application: the newest move of every application that
 * was ever moved, and the history of moves (run id, when, who). An application without a record is
 * served from its home site (src/domain/site-state.ts decides that, not the store). Two
 * implementations pass one contract suite (test/adapters/site-state.contract.ts): in memory and on
 * Redis.
 *
 * Contract:
 * - Every method has a deadline (the adapter's command timeout) and throws DrError("unavailable")
 *   when the store cannot be reached in time; none waits forever.
 * - `record` is compare-and-set, all or none: it writes only if every application's current record
 *   is still the one the caller read (`expected`: the run id of its newest move, or null for none).
 *   A caller that read, decided and wrote cannot overwrite a move made meanwhile by another run.
 *   It is not idempotent by itself (a second call with the same `expected` finds the first one's
 *   move); the site.serving step is, by reading first and skipping applications already served
 *   where it wants them.
 * - The history is capped (the adapter's bound); the newest entries are kept.
 */
export interface SiteStateStore {
  /** The newest move of every application ever moved, in no particular order. */
  current(): Promise<ServingMove[]>;

  /**
   * Records `moves` (at most one per application) if every application's current move has the
   * run id `expected[application]` (null: no move recorded yet). Appends each move to the history.
   */
  record(
    moves: readonly ServingMove[],
    expected: Readonly<Record<string, string | null>>,
  ): Promise<RecordServingOutcome>;

  /** Moves newest first: all, or one application's; at most `limit` (default 50). */
  history(options?: { application?: string; limit?: number }): Promise<ServingMove[]>;
}

/** How many moves the history keeps (at least; Redis trims whole stream nodes). */
export const DEFAULT_SERVING_HISTORY = 10_000;
