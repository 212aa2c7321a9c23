import { globSync, readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The environment is read in one place per program and passed down typed (src/config/environment.ts):
 * only the entry points touch `process.env`, and only to hand it to parseEnvironment (and, in the
 * demo, to the child processes it starts). Everything else receives it.
 */
const ENTRY_POINTS = new Set(["src/cli/main.ts", "src/demo/main.ts"]);

function readsOfProcessEnv(file: string): number[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const lines: number[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isPropertyAccessExpression(node) &&
      node.name.text === "env" &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "process"
    )
      lines.push(source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return lines;
}

describe("the environment", () => {
  it("is read from process.env by the entry points only", () => {
    const readers = globSync("src/**/*.ts")
      .sort()
      .flatMap((file) => readsOfProcessEnv(file).map((line) => `${file}:${line}`))
      .filter((at) => !ENTRY_POINTS.has(at.split(":")[0]!));
    expect(readers, "pass the parsed Environment down instead").toEqual([]);
  });

  it("is read by each entry point", () => {
    for (const entry of ENTRY_POINTS) expect(readsOfProcessEnv(entry).length, entry).toBeGreaterThan(0);
  });
});
