import { globSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { configJsonSchema, configReferenceMarkdown } from "../../src/config/config-reference.js";
import { environmentVariables } from "../../src/config/environment.js";
import {
  ENVIRONMENT_TABLE_START,
  environmentTableMarkdown,
  withEnvironmentTable,
} from "../../src/config/environment-reference.js";

/** The committed reference and JSON Schema are what the zod schema produces today. */
describe("the configuration reference", () => {
  it("in docs/config-reference.md is up to date (run npm run docs:config after changing the schema)", async () => {
    expect(await readFile("docs/config-reference.md", "utf8")).toBe(configReferenceMarkdown());
  });

  it("in drbot.schema.json is up to date (run npm run docs:config after changing the schema)", async () => {
    expect(JSON.parse(await readFile("drbot.schema.json", "utf8"))).toEqual(configJsonSchema());
  });

  it("has the environment table up to date wherever the documentation shows it (run npm run docs:config)", async () => {
    const documents = globSync(["README.md", "docs/**/*.md"]);
    let tables = 0;
    for (const file of documents) {
      const text = await readFile(file, "utf8");
      if (!text.includes(ENVIRONMENT_TABLE_START)) continue;
      tables++;
      expect(text, file).toBe(withEnvironmentTable(text));
    }
    expect(tables, "a page with the environment table's markers").toBeGreaterThan(0);
  });

  it("lists every variable the environment schema reads in that table", () => {
    const table = environmentTableMarkdown();
    for (const { name } of environmentVariables()) expect(table).toContain(`| \`${name}\` |`);
  });

  it("documents every top-level section of the example configuration", async () => {
    const example = parse(await readFile("drbot.example.yaml", "utf8")) as Record<string, unknown>;
    const markdown = configReferenceMarkdown();
    for (const section of Object.keys(example)) expect(markdown).toContain(`## \`${section}\``);
  });
});
