import type { ArtifactStore } from "../ports/artifact-store.js";
import type { RunStore } from "../ports/run-store.js";

/** Run artifacts (snapshots, diffs) kept 90 days next to the run, for the diff step and the report. */
const ARTIFACT_TTL_MS = 90 * 86_400_000;

export function storeArtifacts(store: RunStore): ArtifactStore {
  return {
    put: async (runId, key, value) =>
      void (await store.kvSet(`artifact:${runId}:${key}`, value, { ttlMs: ARTIFACT_TTL_MS })),
    get: (runId, key) => store.kvGet(`artifact:${runId}:${key}`),
  };
}
