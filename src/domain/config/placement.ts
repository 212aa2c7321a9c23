import { z } from "zod";
import { nameSchema } from "../config-names.js";
import { defineSection, namesOf } from "./config-section.js";

/** Where drbot itself and its Redis run; `status` warns when either is in the primary site. */
export const placementSchema = z
  .object({
    bot: nameSchema.optional(),
    redis: nameSchema.optional(),
  })
  .strict()
  .prefault({});

/** `placement`: the sites drbot and its Redis run in, when they cannot be detected. */
export const placementSection = defineSection(
  placementSchema,
  (config: { placement: z.output<typeof placementSchema>; sites: readonly { name: string }[] }, ctx) => {
    const sites = namesOf(config.sites);
    for (const key of ["bot", "redis"] as const) {
      const site = config.placement[key];
      if (site && !sites.has(site))
        ctx.addIssue({ code: "custom", path: ["placement", key], message: `unknown site "${site}"` });
    }
  },
);
