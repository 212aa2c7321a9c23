import { z } from "zod";
import { durationSchema } from "../duration.js";

/** A CustomResourceDefinition's name: its plural and API group, as `kubectl get crd` lists it. */
const crdNameSchema = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/,
    "a CRD name: plural.group, like certificates.cert-manager.io",
  );

/** How an application's readiness is judged beyond what its other settings already say. */
export const applicationReadinessSchema = z
  .object({
    /** CRDs the application's objects are made of: present on the standby at the versions the serving site serves. */
    crds: z
      .array(crdNameSchema)
      .default([])
      .describe(
        "CRDs the application uses (plural.group): present on the standby at the same served versions",
      ),
    /** Beyond the tier's RTO, how long the standby's health endpoint certificates must stay valid. */
    certificateMargin: durationSchema
      .default(7 * 86_400_000)
      .describe("how long beyond the tier's RTO the standby's TLS certificates must stay valid; default 7d"),
    /** How long after the calendar's cadence a drill may come before it counts as overdue. */
    drillGrace: durationSchema
      .default(14 * 86_400_000)
      .describe(
        "how long after its calendar cadence a drill may still come before it is overdue; default 14d",
      ),
  })
  .strict()
  .prefault({});

export type ApplicationReadinessConfig = z.output<typeof applicationReadinessSchema>;
