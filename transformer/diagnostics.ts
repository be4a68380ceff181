/**
 * The transformer's diagnostics: one table of messages with stable codes (CI1001...), and the
 * helpers that turn a table entry plus arguments into a `ts.Diagnostic` for a node or a file.
 *
 * Messages follow TypeScript's grammar: full sentences, present tense, ending with a period,
 * saying what is wrong and how to fix it. `{0}`-style placeholders are filled in order.
 * A code never changes meaning once released; retired codes are not reused.
 */
import type * as ts from "typescript";

/** One entry of the message table. */
export interface DiagnosticMessage {
  /** Stable code, printed by `tsc` as `error TSCI1001: ...`. */
  readonly code: `CI${number}`;
  /** Always an error: any diagnostic added through ts-patch fails the build (exit 2). */
  readonly category: "error";
  /** The message, with `{0}` placeholders. */
  readonly text: string;
}

function message(code: DiagnosticMessage["code"], text: string): DiagnosticMessage {
  return { code, category: "error", text };
}

/** Every message the transformer reports. docs/transformer.md lists them with examples. */
export const Messages = {
  superCallShape: message(
    "CI1001",
    "The constructor of mapped class '{0}' must call super() exactly once, as a statement at the top level of its body. Move the call out of nested blocks, conditions and expressions.",
  ),
  constructorReturnsValue: message(
    "CI1002",
    "The constructor of mapped class '{0}' returns a value. A mapped class's constructor must not replace the instance; remove the returned value or build the object in a factory function.",
  ),
  computedFieldName: message(
    "CI1003",
    "Field '{0}' of mapped class '{1}' has a computed name. An attribute needs a name known at build time: use an identifier or a string literal, or mark the field @transient.",
  ),
  foreignFieldDecorator: message(
    "CI1004",
    "Field '{0}' of mapped class '{1}' has a decorator other than @attribute and @transient, which would be lost when the field becomes an attribute. Mark the field @transient, or move the decorator to an accessor.",
  ),
  misplacedFieldDecorator: message(
    "CI1005",
    "@{0} applies to the instance fields of a @mapped class; '{1}' is not one. Decorate the class with @mapped, or remove @{0}.",
  ),
  conflictingFieldDecorators: message(
    "CI1006",
    "Field '{0}' of mapped class '{1}' is marked both @attribute and @transient. Keep one of them.",
  ),
  initializerUsesNewTarget: message(
    "CI1007",
    "The initializer of field '{0}' of mapped class '{1}' uses new.target, which changes meaning when the initializer moves into the constructor. Read new.target in the constructor instead.",
  ),
  initializerCapturedByConstructor: message(
    "CI1008",
    "The initializer of field '{0}' of mapped class '{1}' refers to '{2}', which the constructor also declares; moved into the constructor, it would see the constructor's '{2}'. Rename one of them.",
  ),
  mappedArguments: message(
    "CI1009",
    "@mapped takes at most one argument, an options object. Write @mapped or @mapped({{ ... }}).",
  ),
  attributeArguments: message(
    "CI1010",
    "@attribute takes at most one argument, an options object. Write @attribute({{ kind: ... }}).",
  ),
  unsupportedTypeScript: message(
    "CI1011",
    "class-instrumentation/transformer supports TypeScript >=4.9 <7 (4.9 to 6.x), but this compiler is TypeScript {0}; no class was instrumented. TypeScript 7 has no transformer API: emit with TypeScript 6 (npm i -D typescript@6.0.3 ts-patch@3.3.0, then tspc; type-check with TypeScript 7), use the bundler plugin class-instrumentation/unplugin, or rely on the runtime path of @mapped.",
  ),
  internalError: message(
    "CI1099",
    "Internal error in class-instrumentation/transformer while transforming {0}; the file was emitted without instrumentation. Please report this with the file: {1}",
  ),
} as const satisfies Record<string, DiagnosticMessage>;

/** A message with its arguments, reported against a node (or the file when `node` is undefined). */
export interface Problem {
  readonly message: DiagnosticMessage;
  readonly args: readonly string[];
  readonly node: ts.Node | undefined;
}

/** Shorthand to build a {@link Problem}. */
export function problem(msg: DiagnosticMessage, node: ts.Node | undefined, ...args: string[]): Problem {
  return { message: msg, args, node };
}

/** Fills `{0}`-style placeholders (`{{` and `}}` stand for literal braces). */
export function formatMessage(text: string, args: readonly string[]): string {
  return text.replace(/\{\{|\}\}|\{(\d+)\}/g, (match, index: string | undefined) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    return args[Number(index)] ?? match;
  });
}

/** Builds the `ts.Diagnostic` of `p` in `file`. */
export function toDiagnostic(tsi: typeof ts, file: ts.SourceFile | undefined, p: Problem): ts.Diagnostic {
  let start: number | undefined;
  let length: number | undefined;
  if (p.node !== undefined && file !== undefined && p.node.pos >= 0) {
    const span = spanOf(tsi, file, p.node);
    start = span.start;
    length = span.length;
  }
  return {
    file,
    start,
    length,
    category: tsi.DiagnosticCategory.Error,
    code: p.message.code as unknown as number,
    messageText: formatMessage(p.message.text, p.args),
    source: "class-instrumentation",
  };
}

function spanOf(tsi: typeof ts, file: ts.SourceFile, node: ts.Node): { start: number; length: number } {
  const named = node as ts.Node & { name?: ts.Node };
  const target = named.name !== undefined && (tsi.isClassLike(node) || tsi.isPropertyDeclaration(node)) ? named.name : node;
  const start = target.getStart(file);
  return { start, length: Math.max(0, target.end - start) };
}
