import type { RunStore } from "../../src/ports/run-store.js";

export interface MortalStore {
  /** The store as the doomed process sees it. */
  store: RunStore;
  /** The process dies: from now on none of its calls reach the store, and none of them settles. */
  die(): void;
  readonly dead: boolean;
}

/**
 * One process's view of a shared store, for takeover tests in a single test process. Once the
 * process dies nothing it sends arrives any more, as after a SIGKILL: its lease is neither renewed
 * nor released, so it lapses after its TTL and another executor may take the run over. Its calls
 * never settle, so the dead process cannot act on an answer either. `dieAfter` kills it the moment
 * a call of that name has been answered (a crash just after claiming a lease, say).
 */
export function mortalStore(store: RunStore, options: { dieAfter?: keyof RunStore } = {}): MortalStore {
  let dead = false;
  const never = () => new Promise<never>(() => undefined);
  const view = new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        if (dead) return never();
        const answer: unknown = await value.apply(target, args);
        if (name === options.dieAfter) dead = true;
        if (dead) return never();
        return answer;
      };
    },
  });
  return {
    store: view,
    die() {
      dead = true;
    },
    get dead() {
      return dead;
    },
  };
}
