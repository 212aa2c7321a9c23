import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { describeRunStoreContract } from "../run-store.contract.js";

describeRunStoreContract("in-memory", async () => {
  const clock = {
    at: Date.now(),
    now() {
      return this.at;
    },
  };
  const store = new MemoryRunStore(clock);
  return {
    store,
    async elapse(ms, until) {
      clock.at += ms;
      if (!(await until())) throw new Error(`${ms} ms passed but the condition does not hold`);
    },
  };
});
