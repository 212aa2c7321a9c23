import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { createPinoLogger } from "../adapters/logging/pino-logger.js";
import { ERROR_HEADLINES, EXIT } from "../app/error-messages.js";
import { type Environment, parseEnvironment } from "../config/environment.js";
import { describeError } from "../domain/errors.js";
import { startDemo } from "./start-demo.js";

/**
 * `npm run demo [-- --port 8080] [-- --clusters]`: starts the demo, prints the page's URL, and stops
 * everything it started on Ctrl-C (SIGINT) or SIGTERM.
 */
const flags = z
  .object({
    port: z.coerce.number().int().min(0).max(65_535).default(0),
    clusters: z.boolean().default(false),
    "step-seconds": z.coerce.number().min(0).max(300).optional(),
    help: z.boolean().default(false),
  })
  .strict();

const USAGE = `usage: npm run demo [-- --port PORT] [-- --clusters] [-- --step-seconds N]
  --port PORT         serve the page on this port of 127.0.0.1 (default: a free one)
  --clusters          use the local test clusters (scripts/testenv) instead of simulated sites
  --step-seconds N    about how long each simulated step takes (default DRBOT_DEMO_STEP_SECONDS, else 3)
REDIS_URL                use this Redis instead of starting a local redis-server
DRBOT_DEMO_STEP_SECONDS  the simulated steps' seconds when --step-seconds is not given`;

async function main(): Promise<number> {
  let options: z.output<typeof flags>;
  try {
    const { values } = parseArgs({
      options: {
        port: { type: "string" },
        clusters: { type: "boolean" },
        "step-seconds": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
    options = flags.parse(values);
  } catch (error) {
    const message =
      error instanceof z.ZodError
        ? error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("\n")
        : String(error instanceof Error ? error.message : error);
    console.error(`${message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  let env: Environment;
  try {
    env = parseEnvironment(process.env);
  } catch (error) {
    console.error(`[demo] ${ERROR_HEADLINES.invalid_environment}: ${describeError(error)}`);
    return EXIT.invalidConfig;
  }
  // The bot's secrets: the runtime adds its tokens and passwords here, and the logger redacts them.
  const secrets: string[] = [];
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const log = (line: string) => console.log(`[demo] ${line}`);
  const stepSeconds = options["step-seconds"] ?? env.DRBOT_DEMO_STEP_SECONDS;
  log("starting Redis, the Slack emulator, the sites and drbot…");
  const demo = await startDemo({
    root,
    port: options.port,
    clusters: options.clusters,
    stepSeconds,
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
    env,
    log,
    logger: createPinoLogger({
      level: env.LOG_LEVEL,
      write: (line) => process.stderr.write(line),
      secrets: () => secrets,
    }),
    secrets,
  });
  log(
    `store: ${demo.store === "redis" ? "Redis" : "in memory"}; sites: ${demo.sites === "simulated" ? `SIMULATED in-process, each change taking about ${stepSeconds} s` : "local test clusters"}`,
  );
  console.log(`\n  drbot demo is ready: open ${demo.url}\n`);
  console.log(
    '  Act as the on-call engineer, type /dr status, then /dr failover payments --reason "DC1 down";',
  );
  console.log("  switch to approver 1 and approver 2 to approve. Ctrl-C stops everything.\n");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  log("stopping…");
  await demo.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[demo] could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
