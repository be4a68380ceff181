/**
 * The build-time accessor factory of one attribute: a function expression
 * `function (rt, attr) { ... }` whose body is exactly the runtime's
 * `accessorSource(key)`, so the generated code and the runtime's `new Function` fallback never
 * drift apart. The source text is parsed once per key and rebuilt as synthesized nodes (no
 * positions, no links to the throw-away parse), which the printer and later transforms accept.
 */
import type * as ts from "typescript";
import { ACCESSOR_PARAMS, accessorSource } from "../runtime/accessor-template.js";

/** A synthesized `function (rt, attr) { <accessorSource(key)> }` (parameters from the runtime's `ACCESSOR_PARAMS`). */
export function createAccessorFactory(tsi: typeof ts, context: ts.TransformationContext, key: string): ts.FunctionExpression {
  return synthesize(tsi, context, accessorTemplate(tsi), (text) => (text === KEY_PLACEHOLDER ? key : text));
}

// The accessor source is parsed once per TypeScript instance, with a placeholder where the
// attribute name goes (it occurs only as a string literal); each attribute gets a synthesized copy
// with its name substituted. Parsing per attribute was half of the transformer's time.
const KEY_PLACEHOLDER = "\u0000class-instrumentation-key\u0000";
const templates = new WeakMap<object, ts.FunctionExpression>();

function accessorTemplate(tsi: typeof ts): ts.FunctionExpression {
  let fn = templates.get(tsi);
  if (fn === undefined) {
    const text = `(function (${ACCESSOR_PARAMS.join(", ")}) {${accessorSource(KEY_PLACEHOLDER)}\n});`;
    const parsed = tsi.createSourceFile("accessor.js", text, tsi.ScriptTarget.Latest, false, tsi.ScriptKind.JS);
    const statement = parsed.statements[0];
    if (statement === undefined || !tsi.isExpressionStatement(statement) || !tsi.isParenthesizedExpression(statement.expression)) {
      throw new Error("accessorSource() did not parse as a function body");
    }
    const expression = statement.expression.expression;
    if (!tsi.isFunctionExpression(expression)) throw new Error("accessorSource() did not parse as a function body");
    fn = expression;
    templates.set(tsi, fn);
  }
  return fn;
}

/** Rebuilds a parsed subtree as synthesized nodes: fresh leaves, no text ranges, no original nodes. */
export function synthesize<T extends ts.Node>(
  tsi: typeof ts,
  context: ts.TransformationContext,
  node: T,
  mapString: (text: string) => string = (text) => text,
): T {
  const f = tsi.factory;
  const rebuild = (n: ts.Node): ts.Node => {
    switch (n.kind) {
      case tsi.SyntaxKind.Identifier:
        return f.createIdentifier((n as ts.Identifier).text);
      case tsi.SyntaxKind.StringLiteral:
        return f.createStringLiteral(mapString((n as ts.StringLiteral).text));
      case tsi.SyntaxKind.NumericLiteral:
        return f.createNumericLiteral((n as ts.NumericLiteral).text);
      case tsi.SyntaxKind.ThisKeyword:
        return f.createThis();
      case tsi.SyntaxKind.TrueKeyword:
        return f.createTrue();
      case tsi.SyntaxKind.FalseKeyword:
        return f.createFalse();
      case tsi.SyntaxKind.NullKeyword:
        return f.createNull();
      default:
        break;
    }
    if (n.kind >= tsi.SyntaxKind.FirstPunctuation && n.kind <= tsi.SyntaxKind.LastPunctuation) {
      return f.createToken(n.kind as ts.PunctuationSyntaxKind);
    }
    return tsi.visitEachChild(n, rebuild, context, undefined, rebuild as ts.Visitor) as ts.Node;
  };
  const result = rebuild(node) as T;
  detach(tsi, result);
  return result;
}

/** Clears text ranges and original-node links left by `update*` on every node of a subtree. */
function detach(tsi: typeof ts, node: ts.Node): void {
  tsi.setTextRange(node, { pos: -1, end: -1 });
  tsi.setOriginalNode(node, undefined);
  tsi.forEachChild(node, (child) => detach(tsi, child));
}
