/**
 * A run's ledger: every change a drill or a restore test makes to a site, written down before the
 * change is made, so that what the run left behind can be proven afterwards, whatever step it ended
 * at (an abort, a crash, a failure). Objects the run creates carry its run id as a label and are
 * found by that; changes to objects that were there before (a Deployment's replicas) are found only
 * here, with the state before the run touched them.
 */
export type LedgerEntry =
  | {
      site: string;
      change: "replicas";
      /** "Deployment namespace/name". */
      object: string;
      /** Replicas before the run changed them: what a clean site has again. */
      before: number;
      stepId: string;
      at: number;
    }
  | {
      site: string;
      change: "created";
      /** "NetworkPolicy namespace/name", "Namespace name": labelled with the run id. */
      object: string;
      stepId: string;
      at: number;
    };

/** One entry per site, change and object: the first one recorded, the state before the run. */
export function ledgerKey(entry: Pick<LedgerEntry, "site" | "change" | "object">): string {
  return `${entry.site} ${entry.change} ${entry.object}`;
}

/** Adds what is new to a ledger; an object already there keeps its first record. */
export function mergeLedger(ledger: readonly LedgerEntry[], entries: readonly LedgerEntry[]): LedgerEntry[] {
  const known = new Set(ledger.map(ledgerKey));
  const merged = [...ledger];
  for (const entry of entries) {
    if (known.has(ledgerKey(entry))) continue;
    known.add(ledgerKey(entry));
    merged.push(entry);
  }
  return merged;
}

/** What a site shows now of the ledger's objects. */
export interface LedgerReading {
  site: string;
  /** Objects labelled with the run id, as listByRunId names them. */
  labelled: readonly string[];
  /** Replicas now of each "replicas" entry's object; absent: the object is gone. */
  replicas: ReadonlyMap<string, number>;
}

/**
 * What the run left behind on a site: every object still labelled with its id, and every object
 * whose replicas differ from before the run. Empty: nothing of the run remains there.
 */
export function ledgerLeftovers(ledger: readonly LedgerEntry[], reading: LedgerReading): string[] {
  const left = reading.labelled.map((object) => `${object} (created by the run)`);
  for (const entry of ledger) {
    if (entry.site !== reading.site || entry.change !== "replicas") continue;
    const now = reading.replicas.get(entry.object);
    if (now !== undefined && now !== entry.before)
      left.push(`${entry.object} at ${now} replicas, ${entry.before} before the run`);
  }
  return left;
}
