import { z } from "zod";
import { nameSchema } from "../../domain/config.js";
import { servedBy, servingSites } from "../../domain/site-state.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";

/**
 * Checks that a site is a standby: it serves no application, by drbot's record of which site serves
 * each (src/domain/site-state.ts). A restore test or a drill acts on the standby's namespaces and
 * capacity; while the site serves production it must not (the request is refused before approval as
 * well; this step checks again when the run starts, since a failover may have happened meanwhile).
 * A record that cannot be read fails the step: unknown is not standby. Read-only, so idempotent.
 */
const params = z.object({ site: nameSchema }).strict();

export const siteStandbyStep = defineStepKind({
  kind: "site.standby",
  description: "Checks that a site serves no application (it is the standby).",
  params,
  siteParams: ["site"],
  idempotent: true,
  readOnly: true,
  summarize: (p) => `check that ${p.site} serves no application`,
  async execute(ctx, p) {
    const serving = servingSites(ctx.config, await serviceOf(ctx, "siteState").current());
    const here = servedBy(serving, p.site);
    if (here.length === 0)
      return { status: "succeeded", output: `${p.site} serves no application: it is the standby` };
    const what = here
      .map((s) =>
        s.move
          ? `${s.application} since ${new Date(s.move.at).toISOString()} (${s.move.runId})`
          : `${s.application} (its home)`,
      )
      .join(", ");
    return {
      status: "failed",
      error: `${p.site} serves production: ${what}. Nothing is done on a serving site; fail back first`,
    };
  },
});
