import type { DnsWeights } from "../domain/dns-weights.js";

export type { DnsWeights } from "../domain/dns-weights.js";

export type DnsProviderKind = "external-dns" | "command" | "webhook";

export interface DnsRequestOptions {
  /** Cuts the request short (the step's deadline, an operator abort, a lost lease). */
  signal?: AbortSignal;
}

/**
 * Where DNS weights live (external-dns DNSEndpoints, a command hook, a webhook), as dns.switch sees
 * it. The adapters are under src/adapters/dns.
 *
 * Contract:
 * - Every call has a deadline of its own (the provider's timeout); `signal` can cut it shorter.
 * - Failures throw DrError (timeout, unavailable, forbidden, invalid_config, step_failed) whose
 *   message says which provider and what drbot was doing. Tokens never appear in messages.
 * - `readWeights` is read-only. It reports only what the provider holds: a record or site the
 *   provider does not know is absent from the result, never guessed.
 * - `applyWeights` is idempotent: applying the same weights twice is applying them once. It does not
 *   verify; the caller reads the weights back.
 */
export interface DnsProvider {
  readonly kind: DnsProviderKind;
  /** One line for output and evidence: "external-dns on dc2 (namespace dns)". */
  readonly description: string;
  readWeights(records: readonly string[], options?: DnsRequestOptions): Promise<DnsWeights>;
  applyWeights(desired: DnsWeights, options?: DnsRequestOptions): Promise<void>;
}
