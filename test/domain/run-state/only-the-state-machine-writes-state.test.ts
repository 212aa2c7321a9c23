import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const STATE_MACHINE = join(ROOT, "src/domain/run-state");
const RUN_TYPES = join(ROOT, "src/domain/run.ts");
const FIXTURE = join(import.meta.dirname, "fixtures/writes-run-state.ts");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
}

function compile(files: string[]): ts.Program {
  const config = ts.readConfigFile(join(ROOT, "tsconfig.json"), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  return ts.createProgram(files, { ...options, noEmit: true });
}

/**
 * Where a run's `state` is written, found by the type checker rather than by text: a `state`
 * property of an object literal whose type is a run (its contextual type's `state` is RunRecord's,
 * including through Partial<RunRecord>, or the literal itself carries a run's `plan` and
 * `approvals`), and an assignment to `.state` of a RunRecord. A `state` of anything else (a Velero
 * phase, a lag reading) is not a run's, whatever its value.
 */
function writesOfRunState(program: ts.Program, files: string[]): string[] {
  const checker = program.getTypeChecker();
  const isRunRecordState = (symbol: ts.Symbol | undefined): boolean =>
    (symbol?.declarations ?? []).some(
      (d) =>
        resolve(d.getSourceFile().fileName) === RUN_TYPES &&
        ts.isPropertySignature(d) &&
        ts.isInterfaceDeclaration(d.parent) &&
        d.parent.name.text === "RunRecord",
    );
  const typeWritesRunState = (type: ts.Type | undefined): boolean => {
    if (!type) return false;
    const members = type.isUnion() ? type.types : [type];
    return members.some((t) => {
      const state = checker.getPropertyOfType(t, "state");
      if (!state) return false;
      if (isRunRecordState(state)) return true;
      const target = (state as ts.Symbol & { links?: { syntheticOrigin?: ts.Symbol } }).links
        ?.syntheticOrigin;
      if (isRunRecordState(target)) return true;
      return (
        checker.getPropertyOfType(t, "plan") !== undefined &&
        checker.getPropertyOfType(t, "approvals") !== undefined
      );
    });
  };
  const found: string[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`${file} is not in the program`);
    const where = (node: ts.Node) => {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart());
      return `${relative(ROOT, file)}:${line + 1}`;
    };
    const visit = (node: ts.Node): void => {
      if (
        (ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node)) &&
        node.name.getText(source) === "state" &&
        ts.isObjectLiteralExpression(node.parent)
      ) {
        const literal = node.parent;
        if (
          typeWritesRunState(checker.getContextualType(literal)) ||
          typeWritesRunState(checker.getTypeAtLocation(literal))
        )
          found.push(where(node));
      }
      if (
        ts.isBinaryExpression(node) &&
        node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isPropertyAccessExpression(node.left) &&
        node.left.name.text === "state" &&
        isRunRecordState(checker.getSymbolAtLocation(node.left.name))
      )
        found.push(where(node));
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe("a run's state", () => {
  it("is written only by the state machine in src/domain/run-state", () => {
    // Only files that mention `state` at all can write it; the others need no type checking.
    const outside = sourceFiles(join(ROOT, "src")).filter(
      (f) => !f.startsWith(`${STATE_MACHINE}/`) && /\bstate\b/.test(readFileSync(f, "utf8")),
    );
    expect(outside.length).toBeGreaterThan(20);
    expect(writesOfRunState(compile(outside), outside)).toEqual([]);
  });

  it("is found written wherever the check looks, and only for runs", () => {
    const program = compile([FIXTURE]);
    const lines = writesOfRunState(program, [FIXTURE]).map((w) => Number(w.split(":").at(-1)));
    // spread, typed, Partial<RunRecord>, assignment; not the Velero-like or untyped look-alikes.
    expect(lines).toEqual([8, 9, 10, 11]);
  });

  it("is written by the state machine itself, which the check would see", () => {
    const files = sourceFiles(STATE_MACHINE);
    expect(writesOfRunState(compile(files), files).length).toBeGreaterThan(0);
  });
});
