import { globSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type DroppedError, findDroppedErrors } from "../support/dropped-errors.js";

/**
 * No error is dropped in src/: every catch handles the error or logs it (the rule, and how it is
 * counted, is in test/support/dropped-errors.ts). The count is taken by parsing every file with the
 * TypeScript compiler, not by grepping, so `catch {}` and `.catch(() => undefined)` are found in any
 * layout, and a handler's own comment is told apart from a comment elsewhere.
 */
const scan = (name: string, source: string) => findDroppedErrors(name, source).map((d) => d.reason);

describe("the rule for dropped errors", () => {
  it("counts an empty handler, whatever it says", () => {
    expect(scan("a.ts", "try { f(); } catch {}")).toEqual(["empty handler"]);
    expect(scan("a.ts", "try { f(); } catch (e) { /* fine */ }")).toEqual(["empty handler"]);
    expect(scan("a.ts", "p.catch(() => {});")).toEqual(["empty handler"]);
  });

  it("counts a handler that goes on without the error and says nothing of why", () => {
    expect(scan("a.ts", "p.catch(() => undefined);")).toEqual(["ignores the error without saying why"]);
    expect(scan("a.ts", "p.catch(() => []);")).toEqual(["ignores the error without saying why"]);
    expect(scan("a.ts", "p.then(ok, () => null);")).toEqual(["ignores the error without saying why"]);
    expect(scan("a.ts", 'c.on("error", () => undefined);')).toEqual(["ignores the error without saying why"]);
    expect(scan("a.ts", "try { f(); } catch { return false; }")).toEqual([
      "ignores the error without saying why",
    ]);
    expect(scan("a.ts", "try { f(); } catch (e) { return 0; }")).toEqual([
      "ignores the error without saying why",
    ]);
  });

  it("accepts a handler that uses the error: rethrown with a cause, logged, inspected, returned", () => {
    expect(scan("a.ts", 'try { f(); } catch (e) { throw new DrError("x", "y", {}, { cause: e }); }')).toEqual(
      [],
    );
    expect(scan("a.ts", 'p.catch((err) => log.warn("failed", { err }));')).toEqual([]);
    expect(scan("a.ts", 'try { f(); } catch (e) { if (code(e) === "ENOENT") return; throw e; }')).toEqual([]);
    expect(scan("a.ts", "p.then(ok, (error) => ({ error }));")).toEqual([]);
  });

  it("accepts a stated outcome: a fallback with a comment saying why it is right", () => {
    expect(
      scan(
        "a.ts",
        "try { f(); } catch {\n  // Not JSON: the plain-text rules judge it.\n  return undefined;\n}",
      ),
    ).toEqual([]);
    expect(
      scan("a.ts", "p.catch(\n  // It never connected: nothing to release.\n  () => undefined,\n);"),
    ).toEqual([]);
  });

  it("accepts a handler passed by name, which receives the error", () => {
    expect(scan("a.ts", "p.catch(reportFailure);")).toEqual([]);
  });
});

describe("errors in src/", () => {
  const dropped = globSync("src/**/*.ts")
    .sort()
    .flatMap((file) => findDroppedErrors(file, readFileSync(file, "utf8")));
  const where = (list: DroppedError[]) =>
    list.map((d) => `${d.file}:${d.line} (${d.reason}) ${d.text}`).join("\n");

  it("are never dropped: each catch handles the error or logs it", () => {
    expect(dropped, `handle or log these:\n${where(dropped)}`).toEqual([]);
  });
});
