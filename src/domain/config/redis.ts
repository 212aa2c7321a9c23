import { z } from "zod";
import { envVarName } from "../config-names.js";
import { durationSchema } from "../duration.js";
import { defineSection } from "./config-section.js";

/** Where runs live: one Redis (a URL) or Redis through Sentinel, and how much of it drbot keeps. */
export const redisSchema = z
  .object({
    url: z
      .string()
      .regex(/^rediss?:\/\//, "a redis:// or rediss:// URL")
      .optional(),
    sentinel: z
      .object({
        name: z.string().min(1),
        sentinels: z.array(z.object({ host: z.string().min(1), port: z.number().int() }).strict()).min(1),
        passwordEnv: envVarName.optional(),
      })
      .strict()
      .optional(),
    passwordEnv: envVarName.optional(),
    /**
     * Whether Redis is deployed with a replica (by default: yes behind Sentinel, no for one URL).
     * When one is expected and none is connected, a step that cannot be repeated does not start:
     * its running mark would be on no replica, and a failover could promote one without it and the
     * step run again. With `false` a lone master counts as durable (a single Redis, or every replica
     * lost for good with its site: say so here, knowing a failover can then lose marks).
     */
    expectReplica: z.boolean().optional(),
    keyPrefix: z
      .string()
      .regex(/^[a-z0-9:_-]*$/)
      .default("drbot:"),
    commandTimeout: durationSchema.default(2_000),
    /** A run's audit trail keeps at least its newest this many events (older ones are trimmed). */
    maxEventsPerRun: z.number().int().min(100).max(1_000_000).default(10_000),
    /** The audit stream of refusals outside any run's trail keeps at least this many. */
    maxAuditEvents: z.number().int().min(100).max(1_000_000).default(10_000),
    /**
     * Finished runs stay whole for `finishedRuns`; then their state leaves Redis. With `afterwards:
     * archive` their report stays for `archiveFor` (`drbot report` still answers); with `expire`
     * nothing stays.
     */
    retention: z
      .object({
        finishedRuns: durationSchema.default(90 * 86_400_000),
        afterwards: z.enum(["archive", "expire"]).default("archive"),
        archiveFor: durationSchema.default(730 * 86_400_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((r) => !(r.url && r.sentinel), { message: "give either url or sentinel, not both" })
  .prefault({});

/** `redis`: the run store. */
export const redisSection = defineSection(redisSchema);
