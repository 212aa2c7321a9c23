import { MemorySiteState } from "../../../src/adapters/memory/memory-site-state.js";
import { describeSiteStateContract } from "../site-state.contract.js";

describeSiteStateContract("in-memory", async (options = {}) => new MemorySiteState(options.maxHistory));
