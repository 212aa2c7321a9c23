import { type Config, configSchema } from "../../src/domain/config.js";
import { type Runbook, runbookSchema } from "../../src/domain/runbook.js";

/** A small configuration: two sites, two tiers, three applications, approvers A1..A3. */
export function testConfig(overrides: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    sites: [
      { name: "dc1", role: "primary", kubeconfig: { context: "dc1" }, networks: ["10.1.0.0/16"] },
      { name: "dc2", role: "dr", kubeconfig: { context: "dc2" } },
    ],
    tiers: [
      { name: "tier1", rto: "2h", rpo: "15m" },
      { name: "tier3", rto: "8h", rpo: "4h" },
    ],
    applications: [
      {
        name: "payments",
        tier: "tier1",
        namespaces: ["production", "staging"],
        workloads: [
          { namespace: "production", name: "payments-api", replicas: 3 },
          { namespace: "staging", name: "payments-api", replicas: 2 },
        ],
        healthChecks: [{ name: "api", url: "http://127.0.0.1:9/healthz" }],
        dataSources: ["pg"],
      },
      {
        name: "core-api",
        tier: "tier1",
        namespaces: ["production"],
        workloads: [{ namespace: "production", name: "core-api", replicas: 3 }],
      },
      {
        name: "analytics",
        tier: "tier3",
        namespaces: ["analytics"],
        workloads: [{ namespace: "analytics", name: "*", replicas: 1 }],
        dataSources: ["velero"],
      },
    ],
    dataSources: [
      {
        name: "pg",
        kind: "postgres",
        primary: { host: "127.0.0.1", user: "drbot" },
        replica: { host: "127.0.0.1", user: "drbot" },
      },
      { name: "velero", kind: "velero", site: "dc1", schedule: "daily" },
    ],
    slack: {
      incidentChannels: ["C0INCIDENT"],
      permissions: {
        failover: {
          requesters: { users: ["U0ONCALL"] },
          approvers: { users: ["U0A1", "U0A2", "U0A3"], groups: ["S0CMD"] },
        },
        failback: { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1", "U0A2"] } },
        drill: { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0A1"] } },
        verify: { requesters: { users: ["U0ONCALL"] } },
      },
    },
    ...overrides,
  });
}

export function testRunbook(raw: Record<string, unknown>): Runbook {
  return runbookSchema.parse({ name: "test", title: "Test", kind: "failover", ...raw });
}
