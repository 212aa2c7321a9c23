import { globSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { configJsonSchema, configReferenceMarkdown } from "../src/config/config-reference.js";
import { withEnvironmentTable } from "../src/config/environment-reference.js";

/**
 * `npm run docs:config`: writes docs/config-reference.md and drbot.schema.json from the
 * configuration's zod schema, and the environment table (README.md, or any docs/ page that has its
 * markers) from the environment's.
 */
await writeFile("docs/config-reference.md", configReferenceMarkdown());
await writeFile("drbot.schema.json", `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
// The repository's formatter has the last word on layout, so `npm run lint` stays clean.
await execa("node_modules/.bin/biome", ["format", "--write", "drbot.schema.json"], { timeout: 60_000 });
const tables: string[] = [];
for (const file of globSync(["README.md", "docs/**/*.md"])) {
  const text = await readFile(file, "utf8");
  const updated = withEnvironmentTable(text);
  if (updated === text && !text.includes("<!-- environment table")) continue;
  await writeFile(file, updated);
  tables.push(file);
}
console.log(
  `wrote docs/config-reference.md, drbot.schema.json and the environment table in ${tables.join(", ")}`,
);
