import { z } from "zod";
import { formatMs } from "../../domain/duration.js";
import type { ConfigNeed } from "../../domain/plan.js";
import { abortableDelay, defineStepKind } from "../step-kind.js";

/**
 * Waits until resolvers no longer answer from their cache with the weights before a DNS switch: the
 * longest TTL of the records (dns.records[].ttl), counted from when this step starts, right after
 * the switch, so a site is scaled down only once no client can still be sent there. A record
 * without a TTL counts as 0 (validate warns): how long resolvers cache it would be a guess.
 * Idempotent: a run taken over while it waits waits the whole TTL again.
 */
const params = z
  .object({
    /** Record names from dns.records, or "all", as the switch step moved them. */
    records: z.union([z.literal("all"), z.array(z.string().min(1).max(253)).min(1)]).default("all"),
  })
  .strict();

export const dnsWaitTtlStep = defineStepKind({
  kind: "dns.wait-ttl",
  description: "Waits one DNS TTL of the switched records, so cached answers have expired.",
  params,
  siteParams: [],
  idempotent: true,
  readOnly: true,
  summarize: (p) =>
    `wait one DNS TTL of ${p.records === "all" ? "every record" : p.records.join(", ")} after the switch, so no cached answer sends clients to the old site`,
  checkConfig: (p, config) => ttlNeeds(p.records, config.dns.records),
  async execute(ctx, p) {
    const records = selected(p.records, ctx.config.dns.records);
    const ttlMs = Math.max(0, ...records.map((r) => (r.ttl ?? 0) * 1000));
    const started = ctx.clock.now();
    const until = started + ttlMs;
    await abortableDelay(ttlMs, ctx.signal);
    const short = until - ctx.clock.now();
    if (short > 0) await abortableDelay(short, ctx.signal);
    return {
      status: "succeeded",
      output: `waited ${formatMs(ttlMs)}, the longest TTL of ${records.map((r) => r.name).join(", ") || "no record"}`,
    };
  },
});

type Records = readonly { name: string; ttl?: number | undefined }[];

function selected(names: "all" | string[], records: Records): Records {
  return names === "all" ? records : records.filter((r) => names.includes(r.name));
}

function ttlNeeds(names: "all" | string[], records: Records): ConfigNeed[] {
  const missing = selected(names, records).filter((r) => r.ttl === undefined);
  return missing.length === 0
    ? []
    : [
        {
          path: ["with", "records"],
          message: `dns.records ${missing.map((r) => r.name).join(", ")} ${missing.length === 1 ? "has" : "have"} no ttl: the wait counts 0 for ${missing.length === 1 ? "it" : "them"}; set ttl (seconds) so the old site is scaled down only once resolvers stopped answering with it`,
          severity: "warning",
        },
      ];
}
