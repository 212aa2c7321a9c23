import { z } from "zod";
import type { DrillRecord } from "../../domain/readiness/drill.js";
import type { RunRecord } from "../../domain/run.js";
import type { RunStore } from "../../ports/run-store.js";

/** Where the newest successful drill of each application is remembered past the runs' retention. */
export const LAST_DRILLS_KEY = "readiness:last-drills";
/**
 * How many runs, newest first, the round looks through for drills: enough for weeks of runs, few
 * enough to read every round. A drill further back is the remembered one.
 */
const RUNS_READ = 200;

/**
 * The newest drill that ended `completed` with each application in its scope. Runs leave the store
 * after their retention (90 days by default, shorter than a quarter and its grace), so the newest
 * one found is remembered under LAST_DRILLS_KEY and the two are merged: a drill does not vanish
 * from readiness when its run is retired. Throws what the store throws.
 */
export async function readLastDrills(
  store: Pick<RunStore, "listRuns" | "kvGet" | "kvSet">,
  applications: readonly string[],
): Promise<Map<string, DrillRecord>> {
  const [runs, kept] = await Promise.all([
    store.listRuns({ limit: RUNS_READ }),
    store.kvGet(LAST_DRILLS_KEY),
  ]);
  const remembered = parseRemembered(kept);
  const last = new Map<string, DrillRecord>();
  for (const app of applications) {
    const found = newestDrill(runs, app);
    const known = remembered[app];
    const newest = found && (!known || found.at > known.at) ? found : known;
    if (newest) last.set(app, newest);
  }
  const changed = [...last].some(([app, d]) => remembered[app]?.runId !== d.runId);
  if (changed) await store.kvSet(LAST_DRILLS_KEY, JSON.stringify(Object.fromEntries(last)));
  return last;
}

function newestDrill(runs: readonly RunRecord[], application: string): DrillRecord | undefined {
  let newest: DrillRecord | undefined;
  for (const run of runs) {
    if (run.kind !== "drill" || run.state !== "completed" || !run.scope.applications.includes(application))
      continue;
    const at = run.rto.validationEndedAt ?? run.updatedAt;
    if (!newest || at > newest.at) newest = { runId: run.id, at };
  }
  return newest;
}

const rememberedSchema = z.record(z.string(), z.object({ runId: z.string(), at: z.number() }));

function parseRemembered(text: string | undefined): Record<string, DrillRecord> {
  if (!text) return {};
  try {
    const parsed = rememberedSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    // Not JSON (a value that is not ours): forgotten, since the run history is read again anyway.
    return {};
  }
}
