import { readFile, writeFile } from "node:fs/promises";
import { parse, stringify } from "yaml";
import { createRuntime, type Runtime, type RuntimeOptions } from "../../src/runtime/create-runtime.js";
import { provenService, testSigners } from "./proven-service.js";

/**
 * createRuntime for tests that act through the service as the test people: their public keys are
 * registered in the configuration file (approvals.keys, beside any the file has) and each action
 * they take is signed with their own key (test/support/proven-service.ts), verified as in
 * production. A file that is missing or not a mapping is left as it is (tests of bad files).
 */
export async function createProvenRuntime(options: RuntimeOptions): Promise<Runtime> {
  await registerTestKeys(options.configPath);
  const rt = await createRuntime(options);
  return { ...rt, service: provenService(rt.service) };
}

async function registerTestKeys(path: string): Promise<void> {
  let config: unknown;
  try {
    config = parse(await readFile(path, "utf8"));
  } catch {
    // Not readable or not YAML: the test is about that file; createRuntime reports it.
    return;
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) return;
  const doc = config as { approvals?: { keys?: Record<string, string[]> } };
  const keys = Object.fromEntries([...testSigners()].map(([id, s]) => [id, [s.publicLine]]));
  doc.approvals = { ...doc.approvals, keys: { ...keys, ...doc.approvals?.keys } };
  await writeFile(path, stringify(doc));
}
