import { z } from "zod";
import { slackUserIdSchema } from "../config-names.js";
import { durationSchema } from "../duration.js";
import { keyLineProblems } from "../evidence/key-ring.js";
import { defineSection } from "./config-section.js";

/**
 * How long a request waits for its approvals, how long they stay valid, how many each kind needs
 * (runbooks may say more), and the keys CLI signatures are checked against.
 */
export const approvalsSchema = z
  .object({
    expiry: durationSchema.default(30 * 60_000),
    /**
     * How long after its last approval a run may still execute steps: a run paused or stopped for
     * longer is requested again. Bounds how long a stored run could be replayed.
     */
    validFor: durationSchema.default(24 * 3_600_000),
    /**
     * Each person's SSH public keys (authorized_keys lines, ed25519 or ECDSA), by Slack user ID: what
     * their CLI signatures are checked against (`drbot … --as USER` signs with their key).
     */
    keys: z
      .record(slackUserIdSchema, z.array(z.string().max(2_000)).min(1).max(10))
      .default({})
      .superRefine((keys, ctx) => {
        for (const problem of keyLineProblems(keys))
          ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
      }),
    /**
     * In Socket Mode Slack signs nothing, so a click there proves nothing by itself. Off (the default),
     * requests and approvals from Slack are refused in Socket Mode and people sign on the CLI; on, they
     * count on Slack's word, and every run records that it relied on it.
     */
    trustSocketMode: z.boolean().default(false),
    required: z
      .object({
        failover: z.number().int().min(0).max(50).default(2),
        failback: z.number().int().min(0).max(50).default(2),
        drill: z.number().int().min(0).max(50).default(1),
        verify: z.number().int().min(0).max(50).default(0),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

/** `approvals`: the defaults of the two-person rule. */
export const approvalsSection = defineSection(approvalsSchema);
