import { z } from "zod";
import { nameSchema } from "../config-names.js";
import { durationSchema } from "../duration.js";
import { isolationSchema, networksSchema } from "../isolation.js";
import { checkUniqueNames, defineSection } from "./config-section.js";

export const siteSchema = z
  .object({
    name: nameSchema,
    role: z.enum(["primary", "dr"]),
    region: z.string().max(64).optional(),
    description: z.string().max(200).optional(),
    kubeconfig: z
      .object({
        path: z.string().min(1).optional(),
        context: z.string().min(1).optional(),
        inCluster: z.boolean().default(false),
      })
      .strict()
      .refine((k) => k.inCluster || k.path !== undefined || k.context !== undefined, {
        message: "give a kubeconfig path and context, or inCluster: true",
      }),
    requestTimeout: durationSchema.default(10_000),
    networks: networksSchema,
    /** What a drill isolating this site's namespaces keeps open to the site it cuts off. */
    isolation: isolationSchema,
  })
  .strict();

export type SiteConfig = z.output<typeof siteSchema>;

/** `sites`: the clusters, exactly one primary and at least one DR site. */
export const sitesSection = defineSection(
  z.array(siteSchema).min(2, "at least a primary and a DR site"),
  (config: { sites: SiteConfig[] }, ctx) => {
    checkUniqueNames(config.sites, "sites", ctx);
    const roles = config.sites.map((s) => s.role);
    if (roles.filter((r) => r === "primary").length !== 1)
      ctx.addIssue({ code: "custom", path: ["sites"], message: "exactly one site must have role: primary" });
    if (!roles.includes("dr"))
      ctx.addIssue({ code: "custom", path: ["sites"], message: "at least one site must have role: dr" });
  },
);

export function primarySite(config: { sites: SiteConfig[] }): SiteConfig {
  return config.sites.find((s) => s.role === "primary")!;
}

export function drSite(config: { sites: SiteConfig[] }): SiteConfig {
  return config.sites.find((s) => s.role === "dr")!;
}
