import type { NamedVariables } from "../../config/environment.js";
import type { Config } from "../../domain/config.js";
import { DrError } from "../../domain/errors.js";
import type { CommandRunner } from "../../ports/command-runner.js";
import type { DnsProvider } from "../../ports/dns.js";
import { CommandDnsProvider } from "./command-dns-provider.js";
import { ExternalDnsProvider } from "./external-dns-provider.js";
import { WebhookDnsProvider } from "./webhook-dns-provider.js";

/**
 * The DNS provider the configuration names, or undefined when `dns.provider` is absent (dns.switch
 * steps then fail saying so). Throws DrError(invalid_config) when a webhook's token variable is
 * not set, so a misconfigured bot says it at start-up rather than in the middle of a failover.
 */
export function createDnsProvider(
  config: Config,
  deps: { commands: CommandRunner; env: NamedVariables; secrets?: readonly string[] },
): DnsProvider | undefined {
  const provider = config.dns.provider;
  if (!provider) return undefined;
  switch (provider.kind) {
    case "external-dns": {
      const site = config.sites.find((s) => s.name === provider.site);
      if (!site) throw new DrError("invalid_config", `dns.provider.site: unknown site "${provider.site}"`);
      return new ExternalDnsProvider(provider, site, config.dns.records);
    }
    case "command":
      return new CommandDnsProvider(provider, config.dns.records, deps.commands, deps.secrets);
    case "webhook":
      return new WebhookDnsProvider(provider, deps.env);
  }
}
