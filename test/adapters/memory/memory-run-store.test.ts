import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { describeRunStoreContract } from "../run-store.contract.js";

/** A clock the test moves by hand: TTLs pass instantly and exactly. */
function fakeClock(start = 1_700_000_000_000) {
  let at = start;
  return {
    now: () => at,
    advance(ms: number) {
      at += ms;
    },
  };
}

describeRunStoreContract("in-memory", async (limits) => {
  const clock = fakeClock();
  return {
    store: new MemoryRunStore(clock, limits),
    async elapse(ms, until) {
      clock.advance(ms);
      if (!(await until()))
        throw new Error(`${ms} ms passed on the fake clock but the condition does not hold`);
    },
  };
});
