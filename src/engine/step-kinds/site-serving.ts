import { z } from "zod";
import { nameSchema } from "../../domain/config.js";
import { type Serving, type ServingMove, servingSites } from "../../domain/site-state.js";
import { defineStepKind, type StepContext } from "../step-kind.js";
import { serviceOf } from "../step-services.js";

/**
 * Records that the run's applications are now served from `site`: the fact plans, drills, restore
 * tests, the watcher and status follow from then on. It comes after the step that moved their traffic
 * (dns.switch), so the record never says more than DNS does.
 *
 * Idempotent: it reads the record first and leaves alone the applications already served from
 * `site`; the write is compare-and-set on what it read, so a move made meanwhile by another run is
 * never overwritten. An application served from a site that is neither end of the run fails the
 * step, naming the run that put it there. As the undo of an aborted failover it moves the record
 * back to the run's source. In a drill it records nothing: a drill moves no
 * traffic.
 */
const params = z
  .object({
    /** The site now serving the applications (the run's target). */
    site: nameSchema,
    applications: z.array(nameSchema).min(1),
  })
  .strict();
type Params = z.output<typeof params>;

export const siteServingStep = defineStepKind({
  kind: "site.serving",
  description: "Records which site serves the run's applications from now on.",
  params,
  siteParams: ["site"],
  idempotent: true,
  summarize: (p) => `record ${p.applications.join(", ")} as served from ${p.site}`,
  checkConfig: (p, config) => {
    const known = new Set(config.applications.map((a) => a.name));
    return p.applications
      .filter((a) => !known.has(a))
      .map((a) => ({ path: ["with", "applications"], message: `unknown application "${a}"` }));
  },
  async execute(ctx, p) {
    const store = serviceOf(ctx, "siteState");
    const now = await read(ctx, p);
    // The run's two sites: its source, or its target when this is the undo of an aborted run.
    const ends = [ctx.scope.fromSite, ctx.scope.toSite];
    const elsewhere = now.filter((s) => s.site !== p.site && !ends.includes(s.site));
    if (elsewhere.length > 0)
      return {
        status: "failed",
        error: `${elsewhere.map(describe).join("; ")}: neither ${ends.join(" nor ")}, the sites of this run; nothing recorded`,
      };
    const movable = now.filter((s) => s.site !== p.site);
    const already = now.filter((s) => s.site === p.site);
    const alreadyLine =
      already.length > 0 ? `already served from ${p.site}: ${already.map(describe).join("; ")}` : "";
    if (ctx.mode === "drill")
      return {
        status: "succeeded",
        output: `drill: nothing recorded; a real run would record ${p.applications.join(", ")} as served from ${p.site}`,
      };
    if (movable.length === 0) return { status: "succeeded", output: alreadyLine };
    const at = ctx.clock.now();
    const moves: ServingMove[] = movable.map((s) => ({
      application: s.application,
      from: s.site,
      to: p.site,
      at,
      runId: ctx.run.id,
      by: ctx.run.requestedBy,
      kind: ctx.run.kind,
    }));
    const expected = Object.fromEntries(movable.map((s) => [s.application, s.move?.runId ?? null]));
    const outcome = await store.record(moves, expected);
    if (!outcome.ok)
      return {
        status: "failed",
        error: `the record of ${outcome.application} changed while this step read it (${outcome.current ? `now ${outcome.current.to}, by ${outcome.current.runId}` : "now none"}); nothing recorded`,
      };
    const moved = `${movable.map((s) => s.application).join(", ")} served from ${p.site} since ${new Date(at).toISOString()} (was ${[...new Set(movable.map((s) => s.site))].join(", ")})`;
    return { status: "succeeded", output: [moved, alreadyLine].filter(Boolean).join("\n") };
  },
  async observe(ctx, p) {
    const now = await read(ctx, p);
    const off = now.filter((s) => s.site !== p.site);
    return off.length === 0
      ? { holds: true, evidence: `${p.applications.join(", ")} already recorded as served from ${p.site}` }
      : { holds: false, evidence: off.map(describe).join("; ") };
  },
});

/** Where each of the step's applications is served now, in the step's order. */
async function read(ctx: StepContext, p: Params): Promise<Serving[]> {
  const serving = servingSites(ctx.config, await serviceOf(ctx, "siteState").current());
  return p.applications.map(
    (application) =>
      serving.find((s) => s.application === application) ?? {
        application,
        site: "nowhere (not configured)",
        home: "",
      },
  );
}

function describe(s: Serving): string {
  if (!s.move) return `${s.application} is served from ${s.site} (its home)`;
  return `${s.application} is served from ${s.site} since ${new Date(s.move.at).toISOString()} (${s.move.runId})`;
}
