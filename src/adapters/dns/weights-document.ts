import { z } from "zod";
import { type DnsWeights, normalizeRecordName } from "../../domain/dns-weights.js";
import { DrError } from "../../domain/errors.js";

/**
 * The JSON the command hook and the webhook speak: drbot's own document
 * `{"records":[{"name":"app.example.com","weights":{"dc1":0,"dc2":100}}]}`, and, for reading, also
 * what `aws route53 list-resource-record-sets` prints, so that command can be the read hook as is.
 */
const weight = z.number().int().min(0).max(255);

export const weightsDocumentSchema = z
  .object({
    records: z.array(
      z.object({ name: z.string().min(1), weights: z.record(z.string().min(1), weight) }).loose(),
    ),
  })
  .loose();
export type WeightsDocument = z.output<typeof weightsDocumentSchema>;

const route53ListSchema = z
  .object({
    ResourceRecordSets: z.array(
      z
        .object({ Name: z.string().min(1), SetIdentifier: z.string().optional(), Weight: weight.optional() })
        .loose(),
    ),
  })
  .loose();

const EXPECTED =
  'expected {"records":[{"name":…,"weights":{site: weight}}]} or Route 53 ListResourceRecordSets JSON';

export function toWeightsDocument(weights: DnsWeights): WeightsDocument {
  return { records: Object.entries(weights).map(([name, sites]) => ({ name, weights: { ...sites } })) };
}

/**
 * Parses what a provider reported into weights for the records asked for (names compared like DNS
 * names). Throws DrError(step_failed) naming `source` when the text is not one of the two shapes;
 * the text itself is not echoed (it could be anything a hook printed).
 */
export function parseReportedWeights(text: string, records: readonly string[], source: string): DnsWeights {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: said in these words only, as the parser's message would quote the text.
    throw new DrError("step_failed", `${source} did not answer with JSON`);
  }
  const wanted = new Map(records.map((r) => [normalizeRecordName(r), r]));
  const out: DnsWeights = {};
  const ours = weightsDocumentSchema.safeParse(json);
  if (ours.success) {
    for (const record of ours.data.records) {
      const name = wanted.get(normalizeRecordName(record.name));
      if (name) out[name] = { ...out[name], ...record.weights };
    }
    return out;
  }
  const route53 = route53ListSchema.safeParse(json);
  if (!route53.success) {
    const issue = (json && typeof json === "object" && "ResourceRecordSets" in json ? route53 : ours).error
      .issues[0];
    throw new DrError(
      "step_failed",
      `${source} answered with unexpected JSON (${EXPECTED})${issue ? `: ${issue.path.join(".") || "top"}: ${issue.message}` : ""}`,
    );
  }
  for (const set of route53.data.ResourceRecordSets) {
    const name = wanted.get(normalizeRecordName(set.Name));
    if (!name || set.SetIdentifier === undefined || set.Weight === undefined) continue;
    out[name] = { ...out[name], [set.SetIdentifier]: set.Weight };
  }
  return out;
}
