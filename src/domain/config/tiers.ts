import { z } from "zod";
import { nameSchema } from "../config-names.js";
import { durationSchema } from "../duration.js";
import { rtoBudgetsSchema } from "../rto-budgets.js";
import { checkUniqueNames, defineSection } from "./config-section.js";

export const tierSchema = z
  .object({
    name: nameSchema,
    description: z.string().max(200).optional(),
    rto: durationSchema,
    rpo: durationSchema,
    budgets: rtoBudgetsSchema,
  })
  .strict();

export type TierConfig = z.output<typeof tierSchema>;

/** `tiers`: RTO and RPO targets, the RTO's phase budgets; applications name the tier they belong to. */
export const tiersSection = defineSection(
  z.array(tierSchema).min(1),
  (config: { tiers: TierConfig[] }, ctx) => checkUniqueNames(config.tiers, "tiers", ctx),
);
