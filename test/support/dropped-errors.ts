import ts from "typescript";

/**
 * Finds the places in TypeScript source that catch an error and drop it. A handler is any of:
 * `try { … } catch (e) { … }`, `p.catch((e) => …)`, the second function of `p.then(ok, (e) => …)`,
 * and `x.on("error", (e) => …)` / `x.once("error", …)`.
 *
 * A handler drops the error when
 *   (a) its body is empty (`catch {}`, `() => {}`), whatever comments it holds; or
 *   (b) it never mentions the caught error (no rethrow, no `cause`, no log with `err`, no test of its
 *       code) and has no comment saying why going on without it is right: `.catch(() => undefined)`,
 *       `.catch(() => [])`, `catch { return null; }` with nothing said.
 * It handles the error when it uses it (rethrows, wraps it as a cause, logs it, returns it, inspects
 * it), or when it turns the failure into a stated outcome (a fallback value, a retry, a state
 * change) with a comment inside the handler, or just before it within the call, saying why that
 * outcome is right. A handler passed by name (`p.catch(logFailure)`) receives the error, so it
 * counts as handling; the named function is judged where it is written.
 */
export interface DroppedError {
  file: string;
  line: number;
  /** The handler's first line, trimmed. */
  text: string;
  reason: "empty handler" | "ignores the error without saying why";
}

export function findDroppedErrors(file: string, source: string): DroppedError[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: DroppedError[] = [];
  const report = (node: ts.Node, reason: DroppedError["reason"]) => {
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    found.push({ file, line: line + 1, text: source.split("\n")[line]!.trim(), reason });
  };
  const judge = (node: ts.Node, param: ts.BindingName | undefined, body: ts.Node) => {
    if (doesNothing(body)) return report(node, "empty handler");
    const names = param ? boundNames(param) : [];
    if (names.some((name) => mentions(body, name))) return;
    if (hasComment(sf, node)) return;
    report(node, "ignores the error without saying why");
  };
  const visit = (node: ts.Node) => {
    if (ts.isCatchClause(node)) judge(node, node.variableDeclaration?.name, node.block);
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const handler =
        method === "catch"
          ? node.arguments[0]
          : method === "then"
            ? node.arguments[1]
            : (method === "on" || method === "once") &&
                node.arguments[0] !== undefined &&
                ts.isStringLiteral(node.arguments[0]) &&
                node.arguments[0].text === "error"
              ? node.arguments[1]
              : undefined;
      if (handler && (ts.isArrowFunction(handler) || ts.isFunctionExpression(handler)))
        judge(handler, handler.parameters[0]?.name, handler.body);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function doesNothing(body: ts.Node): boolean {
  return ts.isBlock(body) && body.statements.length === 0;
}

function boundNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : boundNames(e.name)));
}

function mentions(node: ts.Node, name: string): boolean {
  if (ts.isIdentifier(node) && node.text === name) return true;
  return ts.forEachChild(node, (child) => mentions(child, name) || undefined) ?? false;
}

/** A comment anywhere in the handler, or just before it inside the call (`.catch(\n // why\n () => …)`). */
function hasComment(sf: ts.SourceFile, node: ts.Node): boolean {
  const end = node.getEnd();
  const inside = (ranges: ts.CommentRange[] | undefined) => (ranges ?? []).some((r) => r.end <= end);
  const search = (n: ts.Node): boolean =>
    inside(ts.getLeadingCommentRanges(sf.text, n.getFullStart())) ||
    inside(ts.getTrailingCommentRanges(sf.text, n.getEnd())) ||
    n.getChildren(sf).some(search);
  return search(node);
}
