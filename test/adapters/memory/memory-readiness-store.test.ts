import { MemoryReadinessStore } from "../../../src/adapters/memory/memory-readiness-store.js";
import { describeReadinessStoreContract } from "../readiness-store.contract.js";

describeReadinessStoreContract("memory", async () => new MemoryReadinessStore());
