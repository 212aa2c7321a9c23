import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, stringify } from "yaml";

/**
 * The demo's configuration: drbot.example.yaml as shipped (sites, tiers, applications, data
 * sources, permissions with the demo's people), with three changes a laptop needs: the sites'
 * kubeconfig is the local test clusters' file (or a placeholder the simulated sites never read),
 * Redis is the one the demo started, and health-check URLs (example.com) are left out because no
 * application answers them here.
 */
export const DEMO_PEOPLE = [
  { id: "U0ONCALL1", name: "oncall", realName: "Olivia On-call", role: "on-call engineer" },
  { id: "U0APPROVER1", name: "approver1", realName: "Adam Approver", role: "approver 1" },
  { id: "U0APPROVER2", name: "approver2", realName: "Bea Approver", role: "approver 2" },
] as const;

/** Other people the example configuration names, so user groups and directory lookups resolve. */
export const DEMO_OTHERS = [
  { id: "U0ONCALL2", name: "oncall2", realName: "Omar On-call" },
  { id: "U0APPROVER3", name: "approver3", realName: "Cleo Commander" },
];

export const DEMO_CHANNEL = { id: "C0INCIDENT", name: "incident" };
export const DEMO_USERGROUPS = [
  { id: "S0ONCALL", handle: "oncall", name: "On-call", users: ["U0ONCALL1", "U0ONCALL2"] },
  { id: "S0INCIDENTCMD", handle: "incident-command", name: "Incident command", users: ["U0APPROVER3"] },
];

export interface DemoConfigOptions {
  exampleFile: string;
  dir: string;
  redisUrl?: string;
  /** The local test clusters' kubeconfig (contexts dc1, dc2); simulated sites when absent. */
  kubeconfig?: string;
}

export async function writeDemoConfig(options: DemoConfigOptions): Promise<string> {
  const example = parse(await readFile(options.exampleFile, "utf8")) as Record<string, unknown> & {
    sites: Array<Record<string, unknown>>;
    applications: Array<Record<string, unknown>>;
    redis: Record<string, unknown>;
  };
  const config = {
    ...example,
    sites: example.sites.map((site) => ({
      ...site,
      kubeconfig: options.kubeconfig
        ? { path: options.kubeconfig, context: site.name }
        : { context: `${String(site.name)}-simulated` },
      requestTimeout: "5s",
    })),
    applications: example.applications.map(({ healthChecks: _unreachable, ...app }) => app),
    redis: { ...example.redis, url: options.redisUrl ?? "redis://127.0.0.1:6379" },
  };
  const file = join(options.dir, "drbot.demo.yaml");
  await writeFile(
    file,
    `# Written by npm run demo from drbot.example.yaml (see src/demo/demo-config.ts).\n${stringify(config)}`,
    { mode: 0o600 },
  );
  return file;
}
