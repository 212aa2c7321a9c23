import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { configJsonSchema, configReferenceMarkdown } from "../../src/config/config-reference.js";

/** The committed reference and JSON Schema are what the zod schema produces today. */
describe("the configuration reference", () => {
  it("in docs/config-reference.md is up to date (run npm run docs:config after changing the schema)", async () => {
    expect(await readFile("docs/config-reference.md", "utf8")).toBe(configReferenceMarkdown());
  });

  it("in drbot.schema.json is up to date (run npm run docs:config after changing the schema)", async () => {
    expect(JSON.parse(await readFile("drbot.schema.json", "utf8"))).toEqual(configJsonSchema());
  });

  it("documents every top-level section of the example configuration", async () => {
    const example = parse(await readFile("drbot.example.yaml", "utf8")) as Record<string, unknown>;
    const markdown = configReferenceMarkdown();
    for (const section of Object.keys(example)) expect(markdown).toContain(`## \`${section}\``);
  });
});
