import { z } from "zod";
import { applicationsSection } from "./config/applications.js";
import { approvalsSection } from "./config/approvals.js";
import { type ConfigSection, defineSection } from "./config/config-section.js";
import { dataSourcesSection } from "./config/data-sources.js";
import { dnsSection } from "./config/dns.js";
import { engineSection } from "./config/engine.js";
import { placementSection } from "./config/placement.js";
import { redisSection } from "./config/redis.js";
import { sitesSection } from "./config/sites.js";
import { slackSection } from "./config/slack.js";
import { tiersSection } from "./config/tiers.js";
import { isolationConfigIssues } from "./isolation.js";
import { notificationsSchema } from "./notifications-config.js";
import { calendarSchema, watchSchema } from "./watch-config.js";

export * from "./config/applications.js";
export * from "./config/approvals.js";
export * from "./config/data-sources.js";
export * from "./config/dns.js";
export * from "./config/engine.js";
export * from "./config/placement.js";
export * from "./config/redis.js";
export * from "./config/sites.js";
export * from "./config/slack.js";
export * from "./config/tiers.js";
export * from "./config-names.js";

/**
 * The drbot configuration file, one YAML document. Secrets never live here: they are named by the
 * environment variable that holds them (`passwordEnv`), so the file can be reviewed and committed.
 *
 * One file per top-level section under src/domain/config/, each with its schema and the checks of
 * what it refers to in other sections. A new section is a new file there plus its line below, in the
 * order the configuration reference lists them.
 */
const SECTIONS = {
  sites: sitesSection,
  tiers: tiersSection,
  applications: applicationsSection,
  dataSources: dataSourcesSection,
  slack: slackSection,
  redis: redisSection,
  approvals: approvalsSection,
  engine: engineSection,
  watch: defineSection(watchSchema),
  calendar: defineSection(calendarSchema),
  dns: dnsSection,
  placement: placementSection,
  notifications: defineSection(notificationsSchema),
};

type Sections = typeof SECTIONS;
type Shape = { [K in keyof Sections]: Sections[K]["schema"] };

function shapeOf(sections: Sections): Shape {
  return Object.fromEntries(Object.entries(sections).map(([key, s]) => [key, s.schema])) as Shape;
}

export const configSchema = z
  .object(shapeOf(SECTIONS))
  .strict()
  .superRefine((config, ctx) => {
    const sections: ConfigSection<z.ZodType, Config>[] = Object.values(SECTIONS);
    for (const section of sections) section.check?.(config, ctx);
    // What drill isolation lets through (sites' and applications' isolation) names data sources.
    for (const issue of isolationConfigIssues(config)) ctx.addIssue({ code: "custom", ...issue });
  });

export type Config = z.output<typeof configSchema>;
