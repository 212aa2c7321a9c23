import { writeFile } from "node:fs/promises";
import { execa } from "execa";
import { configJsonSchema, configReferenceMarkdown } from "../src/config/config-reference.js";

/** `npm run docs:config`: writes docs/config-reference.md and drbot.schema.json from the zod schema. */
await writeFile("docs/config-reference.md", configReferenceMarkdown());
await writeFile("drbot.schema.json", `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
// The repository's formatter has the last word on layout, so `npm run lint` stays clean.
await execa("node_modules/.bin/biome", ["format", "--write", "drbot.schema.json"], { timeout: 60_000 });
console.log("wrote docs/config-reference.md and drbot.schema.json");
