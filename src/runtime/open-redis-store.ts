import type { Config } from "../domain/config.js";
import type { RunStore } from "../ports/run-store.js";

export async function openRedisStore(_config: Config, _env: NodeJS.ProcessEnv): Promise<RunStore> {
  throw new Error("not wired yet");
}
