import { z } from "zod";
import { type Config, nameSchema } from "../../domain/config.js";
import {
  type DnsWeights,
  describeDifference,
  describeWeights,
  differences,
  recordsOutsideScope,
  selectRecords,
  weightsForActiveSite,
} from "../../domain/dns-weights.js";
import { durationSchema } from "../../domain/duration.js";
import { describeError } from "../../domain/errors.js";
import type { ConfigNeed } from "../../domain/plan.js";
import type { DnsProvider } from "../../ports/dns.js";
import { abortableDelay, defineStepKind, type StepContext } from "../step-kind.js";
import { serviceOf } from "../step-services.js";

/**
 * Moves traffic by DNS weights, as the seed does: the active site gets 100, every other site of the
 * record 0. It moves only records whose every application is in the run's scope (the shipped
 * runbooks pass `{{scope.dnsRecords}}`, exactly those): a record that also carries an application
 * the run does not move is refused when the plan is built, and again before anything is applied. Reads the weights before, applies them, then reads them back until they hold (within
 * `verifyWithin`) and fails with the evidence when they do not. Idempotent (setting the same
 * weights twice is setting them once) and observable, so a run taken over after a crash asks the
 * provider whether traffic already moved.
 *
 * In a drill it only reads and says what it would change, unless the runbook sets
 * `applyInDrill: true`: a drill must not move production traffic by accident.
 */
const params = z
  .object({
    /**
     * Record names from the configuration's dns.records, normally `{{scope.dnsRecords}}` (every
     * record of the run's applications). An empty list moves nothing (no record carries the scope).
     */
    records: z.array(z.string().min(1).max(253), {
      error: (issue) =>
        issue.input === "all"
          ? 'records: all is not accepted: a run moves only the records of its applications; write records: "{{scope.dnsRecords}}"'
          : 'name the records to move, normally records: "{{scope.dnsRecords}}" (the records of the run\'s applications)',
    }),
    /** The site that gets weight 100; every other site gets 0 (the seed's 100/0 switch). */
    activeSite: nameSchema,
    /** When given, the configured provider must be this one (a runbook written for one provider). */
    provider: z.enum(["external-dns", "command", "webhook"]).optional(),
    applyInDrill: z.boolean().default(false),
    /** How long the read-back may take to show the new weights (providers that apply asynchronously). */
    verifyWithin: durationSchema.default(10_000),
  })
  .strict();
type Params = z.output<typeof params>;

const READ_BACK_INTERVAL_MS = 1_000;

export const dnsSwitchStep = defineStepKind({
  kind: "dns.switch",
  description: "Moves DNS weight to one site (100) from the others (0) and reads it back.",
  params,
  siteParams: ["activeSite"],
  idempotent: true,
  summarize: (p) =>
    p.records.length === 0
      ? `DNS: no record carries these applications; traffic is not moved`
      : `DNS ${p.records.join(", ")} → ${p.activeSite} 100`,
  checkConfig: (p, config, scope) => dnsNeeds(p, config, scope.applications),
  async execute(ctx, p) {
    if (p.records.length === 0)
      return { status: "succeeded", output: "no DNS record carries this run's applications; nothing moved" };
    const outside = recordsOutsideScope(
      selectRecords(ctx.config.dns.records, p.records),
      ctx.scope.applications,
    );
    if (outside.length > 0) return { status: "failed", error: describeOutside(outside) };
    const dns = serviceOf(ctx, "dns");
    if (p.provider && p.provider !== dns.kind)
      return {
        status: "failed",
        error: `the runbook asks for the ${p.provider} DNS provider, but dns.provider is ${dns.kind}`,
      };
    const desired = desiredWeights(ctx, p);
    const names = Object.keys(desired);
    const before = await dns.readWeights(names, { signal: ctx.signal });
    ctx.log(`${dns.description}: now ${describeWeights(before)}`);
    const pending = differences(desired, before);
    if (ctx.mode === "drill" && !p.applyInDrill)
      return {
        status: "succeeded",
        output:
          pending.length === 0
            ? `drill: weights already ${describeWeights(desired)}; nothing changed`
            : `drill: left unchanged (applyInDrill is off); a real run would set ${describeWeights(desired)}, now ${describeWeights(before)}`,
      };
    if (pending.length === 0) {
      return {
        status: "succeeded",
        output: `already ${describeWeights(desired)} (read back from ${dns.description})`,
      };
    }
    await dns.applyWeights(desired, { signal: ctx.signal });
    ctx.log(`applied ${describeWeights(desired)}`);
    const { after, off } = await readBack(ctx, dns, desired, p.verifyWithin);
    if (off.length > 0)
      return {
        status: "failed",
        error: `the read-back differs from what was applied: ${off.map(describeDifference).join("; ")}`,
        output: `before: ${describeWeights(before)}\napplied: ${describeWeights(desired)}\nread back: ${describeWeights(after)}`,
      };
    return {
      status: "succeeded",
      output: `${describeWeights(desired)} (was ${describeWeights(before)}); read back from ${dns.description}`,
    };
  },
  async observe(ctx, p) {
    if (p.records.length === 0) return { holds: true, evidence: "no DNS record to move" };
    const dns = serviceOf(ctx, "dns");
    const desired = desiredWeights(ctx, p);
    const actual = await dns.readWeights(Object.keys(desired), { signal: ctx.signal });
    const off = differences(desired, actual);
    return off.length === 0
      ? { holds: true, evidence: `${dns.description} already has ${describeWeights(desired)}` }
      : { holds: false, evidence: `${dns.description}: ${off.map(describeDifference).join("; ")}` };
  },
});

/**
 * A provider to apply and read weights, and records that give the active site a weight and carry
 * only applications of the run. A scope no record carries needs nothing: its plan says its traffic
 * is not moved.
 */
function dnsNeeds(p: Params, config: Config, applications: readonly string[]): ConfigNeed[] {
  const needs: ConfigNeed[] = [];
  const provider = config.dns.provider;
  if (!provider)
    needs.push({
      path: ["kind"],
      message:
        "needs a DNS provider, and the configuration has none: set dns.provider (external-dns, command or webhook)",
    });
  else if (p.provider && p.provider !== provider.kind)
    needs.push({
      path: ["with", "provider"],
      message: `is written for the ${p.provider} DNS provider, but dns.provider is ${provider.kind}`,
    });
  if (config.dns.records.length === 0) {
    needs.push({
      path: ["with", "records"],
      message: "cannot switch: no DNS records are configured (dns.records is empty)",
    });
    return needs;
  }
  try {
    const records = selectRecords(config.dns.records, p.records);
    weightsForActiveSite(records, p.activeSite);
    const outside = recordsOutsideScope(records, applications);
    if (outside.length > 0) needs.push({ path: ["with", "records"], message: describeOutside(outside) });
  } catch (error) {
    needs.push({ path: ["with", "records"], message: `cannot switch: ${describeError(error)}` });
  }
  return needs;
}

function describeOutside(outside: ReturnType<typeof recordsOutsideScope>): string {
  return `${outside.map((o) => `${o.record} also carries ${o.applications.join(", ")}`).join("; ")}, which this run does not move`;
}

function desiredWeights(ctx: StepContext, p: Params): DnsWeights {
  return weightsForActiveSite(selectRecords(ctx.config.dns.records, p.records), p.activeSite);
}

/** Reads until the weights hold or `withinMs` (bounded by the step's deadline) has passed. */
async function readBack(
  ctx: StepContext,
  dns: DnsProvider,
  desired: DnsWeights,
  withinMs: number,
): Promise<{ after: DnsWeights; off: ReturnType<typeof differences> }> {
  const until = Math.min(ctx.clock.now() + withinMs, ctx.deadline);
  for (;;) {
    const after = await dns.readWeights(Object.keys(desired), { signal: ctx.signal });
    const off = differences(desired, after);
    if (off.length === 0 || ctx.clock.now() + READ_BACK_INTERVAL_MS > until) return { after, off };
    ctx.log(`read back, not there yet: ${off.map(describeDifference).join("; ")}`);
    await abortableDelay(READ_BACK_INTERVAL_MS, ctx.signal);
  }
}
