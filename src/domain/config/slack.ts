import { z } from "zod";
import { slackUserIdSchema } from "../config-names.js";
import { durationSchema } from "../duration.js";
import { defineSection } from "./config-section.js";

const principalsSchema = z
  .object({
    users: z.array(slackUserIdSchema).default([]),
    groups: z.array(z.string().regex(/^S[A-Z0-9]{2,}$/, "a Slack user group ID like S012ABCDEF")).default([]),
  })
  .strict()
  .prefault({});

export const RUN_KINDS = ["failover", "failback", "drill", "verify"] as const;
export type RunKind = (typeof RUN_KINDS)[number];

const permissionSchema = z
  .object({ requesters: principalsSchema, approvers: principalsSchema })
  .strict()
  .prefault({});

export const slackSchema = z
  .object({
    incidentChannels: z
      .array(z.string().regex(/^[CG][A-Z0-9]{2,}$/, "a Slack channel ID like C012ABCDEF"))
      .default([]),
    permissions: z
      .object({
        failover: permissionSchema,
        failback: permissionSchema,
        drill: permissionSchema,
        verify: permissionSchema,
      })
      .strict()
      .prefault({}),
    /** How long Slack's answer to "who is in this user group" is reused for permission decisions. */
    directoryCacheTtl: durationSchema.default(60_000),
  })
  .strict();

export type Principals = z.output<typeof principalsSchema>;

/** `slack`: the incident channels, and who may request and approve each kind of run. */
export const slackSection = defineSection(slackSchema.prefault({}));
