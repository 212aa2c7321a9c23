import { z } from "zod";
import { nameSchema } from "../../domain/config.js";
import { isDrError } from "../../domain/errors.js";
import { type LedgerEntry, ledgerLeftovers } from "../../domain/run-ledger.js";
import type { WorkloadKind } from "../../domain/workloads.js";
import { defineStepKind, type StepContext } from "../step-kind.js";
import { serviceOf } from "../step-services.js";

/**
 * Proves nothing of the run remains on the sites: no object labelled with its id (isolation
 * policies, sandbox namespaces), and every workload whose replicas the run changed back at its
 * replicas from before the run, as the run's ledger recorded them before changing anything. A site
 * that cannot be asked fails the proof: unknown is not clean. Read-only, so idempotent.
 */
const params = z.object({ sites: z.array(nameSchema).min(1) }).strict();

export const k8sVerifyCleanStep = defineStepKind({
  kind: "k8s.verify-clean",
  description: "Proves nothing the run created or changed remains (its labelled objects, its ledger).",
  params,
  siteParams: ["sites"],
  idempotent: true,
  readOnly: true,
  summarize: (p) => `verify nothing of this run remains on ${p.sites.join(", ")}`,
  async execute(ctx, p) {
    const found = await findLeftovers(ctx, p.sites);
    for (const line of found.checked) ctx.log(line);
    if (found.leftovers.length > 0)
      return { status: "failed", error: `left behind: ${found.leftovers.join("; ")}` };
    if (found.unreachable.length > 0)
      return { status: "failed", error: `could not check ${found.unreachable.join(", ")} (unreachable)` };
    return { status: "succeeded", output: found.proof };
  },
  async observe(ctx, p) {
    const found = await findLeftovers(ctx, p.sites);
    if (found.leftovers.length > 0)
      return { holds: false, evidence: `left behind: ${found.leftovers.join("; ")}` };
    if (found.unreachable.length > 0)
      return { holds: "unknown", evidence: `could not check ${found.unreachable.join(", ")} (unreachable)` };
    return { holds: true, evidence: found.proof };
  },
});

interface Findings {
  leftovers: string[];
  unreachable: string[];
  /** One line per site: what was checked. */
  checked: string[];
  proof: string;
}

async function findLeftovers(ctx: StepContext, sites: readonly string[]): Promise<Findings> {
  const ledger = await serviceOf(ctx, "ledger").read(ctx.run.id);
  const found: Findings = { leftovers: [], unreachable: [], checked: [], proof: "" };
  for (const name of sites) {
    const site = serviceOf(ctx, "sites").site(name);
    if (!(await site.health({ signal: ctx.signal })).reachable) {
      found.unreachable.push(name);
      continue;
    }
    const labelled = await site.listByRunId(ctx.run.id, { signal: ctx.signal });
    const changed = ledger.filter((e) => e.site === name && e.change === "replicas");
    const replicas = new Map<string, number>();
    for (const entry of changed) {
      const now = await replicasNow(ctx, name, entry);
      if (now !== undefined) replicas.set(entry.object, now);
    }
    found.leftovers.push(
      ...ledgerLeftovers(ledger, { site: name, labelled, replicas }).map((l) => `${name}: ${l}`),
    );
    const before = changed.map((e) => `${e.object} ${e.change === "replicas" ? e.before : ""}`);
    found.checked.push(
      `${name}: ${labelled.length} object(s) labelled with the run; ${changed.length} workload(s) in the ledger${changed.length ? ` (replicas before the run: ${before.join(", ")})` : ""}`,
    );
  }
  const workloads = ledger.filter((e) => e.change === "replicas" && sites.includes(e.site)).length;
  found.proof = `nothing labelled with ${ctx.run.id} remains on ${sites.join(", ")}${workloads > 0 ? `; ${workloads} workload(s) back at their replicas from before the run` : ""}`;
  return found;
}

/** A workload's replicas now; undefined when it no longer exists (nothing of the run is left in it). */
async function replicasNow(ctx: StepContext, site: string, entry: LedgerEntry): Promise<number | undefined> {
  const [kind, ref] = entry.object.split(" ") as [WorkloadKind, string];
  const [namespace, name] = ref.split("/") as [string, string];
  try {
    return await serviceOf(ctx, "sites")
      .site(site)
      .readScale({ kind, namespace, name }, { signal: ctx.signal });
  } catch (error) {
    if (isDrError(error, "not_found")) return undefined;
    throw error;
  }
}
