import { readFile } from "node:fs/promises";
import { type Config, configSchema } from "../domain/config.js";
import { DrError } from "../domain/errors.js";
import { parseYamlWith } from "./yaml-issues.js";

/** Reads and validates the configuration file; refuses with file, path, line and reason. */
export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new DrError(
      "invalid_config",
      `${file}: cannot read the configuration file (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  return parseYamlWith(file, text, configSchema, "invalid_config");
}
