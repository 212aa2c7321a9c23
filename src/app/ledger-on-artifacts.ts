import { type LedgerEntry, mergeLedger } from "../domain/run-ledger.js";
import type { ArtifactStore } from "../ports/artifact-store.js";
import type { RunLedger } from "../ports/run-ledger.js";

const KEY = "ledger";

/**
 * The run ledger kept as one artifact of the run (so it lives and expires with the run's other
 * artifacts). Writes of one run are queued in this process: the run's steps, parallel ones included,
 * run only in the process holding its lease, so read-merge-write needs no lock in the store.
 */
export function ledgerOnArtifacts(artifacts: ArtifactStore): RunLedger {
  const queues = new Map<string, Promise<void>>();
  const read = async (runId: string): Promise<LedgerEntry[]> => {
    const text = await artifacts.get(runId, KEY);
    return text === undefined ? [] : (JSON.parse(text) as LedgerEntry[]);
  };
  return {
    read,
    record(runId, entries) {
      const previous = queues.get(runId) ?? Promise.resolve();
      const write = previous.then(async () => {
        const ledger = await read(runId);
        const merged = mergeLedger(ledger, entries);
        if (merged.length !== ledger.length) await artifacts.put(runId, KEY, JSON.stringify(merged));
      });
      const settled = write.catch(
        // This caller gets the failure through `write`; the next write only waits for this one to end.
        () => undefined,
      );
      queues.set(runId, settled);
      void settled.then(() => {
        if (queues.get(runId) === settled) queues.delete(runId);
      });
      return write;
    },
  };
}
