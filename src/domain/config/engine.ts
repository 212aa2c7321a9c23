import { z } from "zod";
import { durationSchema } from "../duration.js";
import { defineSection } from "./config-section.js";

/** How many steps run at once, and how long an executor's lease on a run lasts without renewal. */
export const engineSchema = z
  .object({
    maxParallelSteps: z.number().int().min(1).max(256).default(16),
    leaseTtl: durationSchema.default(15_000),
    /**
     * On SIGTERM, how long steps in flight may finish before they are stopped and handed over; the
     * Deployment's terminationGracePeriodSeconds leaves room for it (45 s for the default 30 s).
     */
    drainGrace: durationSchema.default(30_000),
  })
  .strict()
  .prefault({});

/** `engine`: how runs are executed. */
export const engineSection = defineSection(engineSchema);
