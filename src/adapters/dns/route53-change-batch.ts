import type { DnsRecordConfig } from "../../domain/config.js";
import { type DnsWeights, normalizeRecordName } from "../../domain/dns-weights.js";
import { DrError } from "../../domain/errors.js";

/**
 * A Route 53 ChangeResourceRecordSets change batch (the `--change-batch` of
 * `aws route53 change-resource-record-sets`): one UPSERT per record and site, a weighted record set
 * with SetIdentifier = site. UPSERT replaces the whole record set, so type, TTL and targets come
 * from the configuration along with the weight.
 */
export interface Route53ChangeBatch {
  Comment: string;
  Changes: Array<{
    Action: "UPSERT";
    ResourceRecordSet: {
      Name: string;
      Type: string;
      SetIdentifier: string;
      Weight: number;
      TTL: number;
      ResourceRecords: Array<{ Value: string }>;
    };
  }>;
}

export const DEFAULT_RECORD_TYPE = "CNAME";
export const DEFAULT_TTL_SECONDS = 60;

/** Throws DrError(invalid_config) when a record lacks the targets of a site it must write. */
export function route53ChangeBatch(
  records: readonly DnsRecordConfig[],
  desired: DnsWeights,
  comment: string,
): Route53ChangeBatch {
  const byName = new Map(records.map((r) => [normalizeRecordName(r.name), r]));
  const changes: Route53ChangeBatch["Changes"] = [];
  for (const [name, sites] of Object.entries(desired)) {
    const record = byName.get(normalizeRecordName(name));
    if (!record) throw new DrError("invalid_config", `DNS record ${name} is not in dns.records`);
    for (const [site, weight] of Object.entries(sites)) {
      const targets = record.targets?.[site];
      if (!targets)
        throw new DrError(
          "invalid_config",
          `DNS record ${name} has no targets for site ${site}; a Route 53 change batch needs them (dns.records[].targets)`,
        );
      changes.push({
        Action: "UPSERT",
        ResourceRecordSet: {
          Name: record.name,
          Type: record.type ?? DEFAULT_RECORD_TYPE,
          SetIdentifier: site,
          Weight: weight,
          TTL: record.ttl ?? DEFAULT_TTL_SECONDS,
          ResourceRecords: targets.map((value) => ({ Value: value })),
        },
      });
    }
  }
  return { Comment: comment, Changes: changes };
}
