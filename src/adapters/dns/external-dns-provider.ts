import * as k8s from "@kubernetes/client-node";
import type { DnsProviderConfig, DnsRecordConfig, SiteConfig } from "../../domain/config.js";
import { type DnsWeights, normalizeRecordName } from "../../domain/dns-weights.js";
import { DrError } from "../../domain/errors.js";
import type { DnsProvider, DnsRequestOptions } from "../../ports/dns.js";
import { KubeError } from "../kubernetes/kube-error.js";
import { loadKubeConfig } from "../kubernetes/load-kube-config.js";
import { withDeadline } from "../kubernetes/with-deadline.js";
import { DEFAULT_RECORD_TYPE, DEFAULT_TTL_SECONDS } from "./route53-change-batch.js";

type ExternalDnsConfig = Extract<DnsProviderConfig, { kind: "external-dns" }>;

export const DNS_ENDPOINT = { group: "externaldns.k8s.io", version: "v1alpha1", plural: "dnsendpoints" };
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";

interface ProviderSpecific {
  name: string;
  value: string;
}
interface Endpoint {
  dnsName?: string;
  setIdentifier?: string;
  recordType?: string;
  recordTTL?: number;
  targets?: string[];
  providerSpecific?: ProviderSpecific[];
  [field: string]: unknown;
}
interface DnsEndpointObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: { endpoints?: Endpoint[] };
  [field: string]: unknown;
}

/** Optimistic concurrency: a write that lost a race is planned again on fresh objects, this often. */
const WRITE_ATTEMPTS = 3;

/**
 * DNS weights as external-dns DNSEndpoint objects (externaldns.k8s.io/v1alpha1) in one namespace of
 * one site: one endpoint per record and site, `setIdentifier` = site name, the weight as a
 * providerSpecific property (aws/weight by default). external-dns then writes the weighted records
 * to the DNS provider.
 *
 * Endpoints are found wherever they are in the namespace, so objects managed by someone else keep
 * their other fields; an endpoint that does not exist yet is added to an object drbot owns
 * (`drbot-<record>`), built from the record's type, TTL and targets. Writes carry the
 * resourceVersion they read, so a concurrent edit is never overwritten. Every request has the
 * site's deadline; errors are KubeError naming the site and the action.
 */
export class ExternalDnsProvider implements DnsProvider {
  readonly kind = "external-dns" as const;
  readonly description: string;
  private api: k8s.CustomObjectsApi | undefined;
  private readonly timeoutMs: number;

  constructor(
    private readonly config: ExternalDnsConfig,
    private readonly site: SiteConfig,
    private readonly records: readonly DnsRecordConfig[],
    private readonly options: { kubeconfigPath?: string; timeoutMs?: number } = {},
  ) {
    this.description = `external-dns DNSEndpoints on ${site.name} (namespace ${config.namespace})`;
    this.timeoutMs = options.timeoutMs ?? site.requestTimeout;
  }

  async readWeights(records: readonly string[], options: DnsRequestOptions = {}): Promise<DnsWeights> {
    const wanted = new Map(records.map((r) => [normalizeRecordName(r), r]));
    const found = new Map<string, { weight: number | undefined; object: string }>();
    const out: DnsWeights = {};
    for (const object of await this.list(options)) {
      for (const endpoint of object.spec?.endpoints ?? []) {
        const record = wanted.get(normalizeRecordName(endpoint.dnsName ?? ""));
        const site = endpoint.setIdentifier;
        if (!record || !site) continue;
        const weight = this.weightOf(endpoint);
        const key = `${record}\u0000${site}`;
        const earlier = found.get(key);
        // Two endpoints for one record and site would be two competing record sets in DNS.
        if (earlier && earlier.weight !== weight)
          throw new DrError(
            "conflict",
            `${this.description}: ${record} for ${site} is in both ${earlier.object} (weight ${earlier.weight ?? "none"}) and ${object.metadata.name} (weight ${weight ?? "none"})`,
          );
        found.set(key, { weight, object: object.metadata.name });
        if (weight !== undefined) out[record] = { ...out[record], [site]: weight };
      }
    }
    return out;
  }

  async applyWeights(desired: DnsWeights, options: DnsRequestOptions = {}): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { changed, created } = this.plan(await this.list(options), desired);
        await Promise.all([
          ...changed.map((object) =>
            this.request(`update DNSEndpoint ${object.metadata.name}`, options, (o) =>
              this.client().replaceNamespacedCustomObject(
                {
                  ...DNS_ENDPOINT,
                  namespace: this.config.namespace,
                  name: object.metadata.name,
                  body: object,
                },
                o,
              ),
            ),
          ),
          ...created.map((object) =>
            this.request(`create DNSEndpoint ${object.metadata.name}`, options, (o) =>
              this.client().createNamespacedCustomObject(
                { ...DNS_ENDPOINT, namespace: this.config.namespace, body: object },
                o,
              ),
            ),
          ),
        ]);
        return;
      } catch (error) {
        const raced = error instanceof KubeError && error.reason === "conflict";
        if (!raced || attempt >= WRITE_ATTEMPTS) throw error;
      }
    }
  }

  /** The objects to write so that every (record, site) of `desired` carries its weight. */
  private plan(
    objects: DnsEndpointObject[],
    desired: DnsWeights,
  ): { changed: DnsEndpointObject[]; created: DnsEndpointObject[] } {
    const changed = new Set<DnsEndpointObject>();
    const created = new Map<string, DnsEndpointObject>();
    for (const [record, sites] of Object.entries(desired)) {
      for (const [site, weight] of Object.entries(sites)) {
        let matched = false;
        for (const object of objects) {
          for (const endpoint of object.spec?.endpoints ?? []) {
            if (normalizeRecordName(endpoint.dnsName ?? "") !== normalizeRecordName(record)) continue;
            if (endpoint.setIdentifier !== site) continue;
            matched = true;
            if (this.weightOf(endpoint) !== weight) {
              this.setWeight(endpoint, weight);
              changed.add(object);
            }
          }
        }
        if (matched) continue;
        const endpoint = this.newEndpoint(record, site, weight);
        const name = ownedObjectName(record);
        const existing = objects.find((o) => o.metadata.name === name);
        if (existing) {
          existing.spec = { ...existing.spec, endpoints: [...(existing.spec?.endpoints ?? []), endpoint] };
          changed.add(existing);
        } else {
          const object = created.get(name) ?? this.newObject(name);
          object.spec!.endpoints!.push(endpoint);
          created.set(name, object);
        }
      }
    }
    return { changed: [...changed], created: [...created.values()] };
  }

  private newEndpoint(record: string, site: string, weight: number): Endpoint {
    const config = this.records.find((r) => normalizeRecordName(r.name) === normalizeRecordName(record));
    const targets = config?.targets?.[site];
    if (!config || !targets)
      throw new DrError(
        "invalid_config",
        `${this.description}: no endpoint for ${record} with setIdentifier ${site}, and dns.records has no targets for ${site} to create one`,
      );
    return {
      dnsName: config.name,
      recordType: config.type ?? DEFAULT_RECORD_TYPE,
      recordTTL: config.ttl ?? DEFAULT_TTL_SECONDS,
      setIdentifier: site,
      targets: [...targets],
      providerSpecific: [{ name: this.config.weightProperty, value: String(weight) }],
    };
  }

  private newObject(name: string): DnsEndpointObject {
    return {
      apiVersion: `${DNS_ENDPOINT.group}/${DNS_ENDPOINT.version}`,
      kind: "DNSEndpoint",
      metadata: { name, namespace: this.config.namespace, labels: { [MANAGED_BY_LABEL]: "drbot" } },
      spec: { endpoints: [] },
    };
  }

  private weightOf(endpoint: Endpoint): number | undefined {
    const value = endpoint.providerSpecific?.find((p) => p.name === this.config.weightProperty)?.value;
    return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
  }

  private setWeight(endpoint: Endpoint, weight: number): void {
    const others = (endpoint.providerSpecific ?? []).filter((p) => p.name !== this.config.weightProperty);
    endpoint.providerSpecific = [...others, { name: this.config.weightProperty, value: String(weight) }];
  }

  private async list(options: DnsRequestOptions): Promise<DnsEndpointObject[]> {
    const list = (await this.request(`list DNSEndpoints in ${this.config.namespace}`, options, (o) =>
      this.client().listNamespacedCustomObject({ ...DNS_ENDPOINT, namespace: this.config.namespace }, o),
    )) as { items?: DnsEndpointObject[] };
    return list.items ?? [];
  }

  /** Built on first use, so a broken kubeconfig fails the step that needs DNS, not start-up. */
  private client(): k8s.CustomObjectsApi {
    this.api ??= loadKubeConfig(this.site, this.options).makeApiClient(k8s.CustomObjectsApi);
    return this.api;
  }

  private request<T>(
    what: string,
    options: DnsRequestOptions,
    send: (o: k8s.ConfigurationOptions) => Promise<T>,
  ): Promise<T> {
    return withDeadline({ site: this.site.name, operation: what }, this.timeoutMs, options.signal, send);
  }
}

/** `drbot-app-example-com`: a valid object name for the record drbot creates endpoints in. */
export function ownedObjectName(record: string): string {
  const slug = normalizeRecordName(record)
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return `drbot-${slug}`.slice(0, 253).replace(/-+$/, "");
}
