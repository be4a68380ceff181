/**
 * Attribute kinds from declared types: `T[]` / `Array<T>` / `ReadonlyArray<T>` → list
 * collection, `Set` → set, `Map` → map, a mapped class (optionally `| null | undefined`) →
 * object, anything else → scalar. A collection type that admits `null` or `undefined` in a union
 * (`string[] | null`, `Set<T> | undefined`) is a scalar: a collection attribute always holds a
 * collection, so it could not store the `null`. An optional field (`tags?: string[]`) stays a
 * collection that is simply not set until assigned (an omitted optional parameter property is
 * not assigned at all, see emit-constructor.ts). With a checker the declared (or inferred) type is inspected;
 * without one, the type annotation, or else the initializer's shape.
 */
import type * as ts from "typescript";
import type { TransformEnv } from "./context.js";
import type { Detector } from "./detect.js";

/** What the transformer infers for one attribute. */
export interface InferredKind {
  readonly kind: "scalar" | "object" | "collection";
  readonly collection?: "list" | "set" | "map";
}

const SCALAR: InferredKind = { kind: "scalar" };
const LIST: InferredKind = { kind: "collection", collection: "list" };
const SET: InferredKind = { kind: "collection", collection: "set" };
const MAP: InferredKind = { kind: "collection", collection: "map" };
const OBJECT: InferredKind = { kind: "object" };

const BY_NAME: ReadonlyMap<string, InferredKind> = new Map([
  ["Array", LIST],
  ["ReadonlyArray", LIST],
  ["Set", SET],
  ["ReadonlySet", SET],
  ["Map", MAP],
  ["ReadonlyMap", MAP],
]);

/** The kind of a field or parameter property. */
export function inferKind(
  env: TransformEnv,
  detector: Detector,
  node: ts.PropertyDeclaration | ts.ParameterDeclaration,
): InferredKind {
  if (env.checker !== undefined) {
    const byType = kindOfDeclaredType(env, detector, node);
    if (byType !== undefined) return byType;
  }
  if (node.type !== undefined) return kindOfTypeNode(env, detector, node.type);
  if (node.initializer !== undefined) return kindOfInitializer(env, node.initializer);
  return SCALAR;
}

function kindOfDeclaredType(env: TransformEnv, detector: Detector, node: ts.PropertyDeclaration | ts.ParameterDeclaration): InferredKind | undefined {
  const tsi = env.ts;
  const checker = env.checker!;
  let type: ts.Type;
  try {
    type = node.type !== undefined ? checker.getTypeFromTypeNode(node.type) : checker.getTypeAtLocation(node);
  } catch {
    return undefined;
  }
  if (type.flags & (tsi.TypeFlags.Any | tsi.TypeFlags.Unknown)) return undefined;
  const nullish = tsi.TypeFlags.Null | tsi.TypeFlags.Undefined | tsi.TypeFlags.Void;
  const parts = type.isUnion() ? type.types.filter((t) => (t.flags & nullish) === 0) : [type];
  if (parts.length === 0) return SCALAR;
  const kinds = parts.map((t) => kindOfType(env, detector, t));
  const first = kinds[0]!;
  if (!kinds.every((k) => k.kind === first.kind && k.collection === first.collection)) return SCALAR;
  const admitsNullish = parts.length < (type.isUnion() ? type.types.length : 1);
  return first.kind === "collection" && admitsNullish ? SCALAR : first;
}

function kindOfType(env: TransformEnv, detector: Detector, type: ts.Type): InferredKind {
  const checker = env.checker!;
  const asChecker = checker as ts.TypeChecker & { isArrayType?: (t: ts.Type) => boolean; isTupleType?: (t: ts.Type) => boolean };
  if (typeof asChecker.isTupleType === "function" && asChecker.isTupleType(type)) return SCALAR;
  if (typeof asChecker.isArrayType === "function" && asChecker.isArrayType(type)) return LIST;
  const symbol = type.getSymbol() ?? type.aliasSymbol;
  if (symbol === undefined) return SCALAR;
  const byName = BY_NAME.get(symbol.name);
  if (byName !== undefined && isLibrarySymbol(env, symbol)) return byName;
  const cls = detector.classOfSymbol(symbol);
  if (cls !== undefined && detector.isMappedClass(cls)) return OBJECT;
  return SCALAR;
}

function isLibrarySymbol(env: TransformEnv, symbol: ts.Symbol): boolean {
  const program = env.program;
  const decls = symbol.declarations ?? [];
  if (program === undefined) return true;
  return decls.length > 0 && decls.every((d) => program.isSourceFileDefaultLibrary(d.getSourceFile()));
}

function kindOfTypeNode(env: TransformEnv, detector: Detector, node: ts.TypeNode): InferredKind {
  const tsi = env.ts;
  if (tsi.isParenthesizedTypeNode(node)) return kindOfTypeNode(env, detector, node.type);
  if (tsi.isArrayTypeNode(node)) return LIST;
  if (tsi.isTypeOperatorNode(node) && node.operator === tsi.SyntaxKind.ReadonlyKeyword) return kindOfTypeNode(env, detector, node.type);
  if (tsi.isUnionTypeNode(node)) {
    const parts = node.types.filter((t) => !isNullishTypeNode(tsi, t));
    if (parts.length !== 1) return SCALAR;
    const inner = kindOfTypeNode(env, detector, parts[0]!);
    // A nullable collection is a scalar (see the module comment); a nullable reference is an object.
    return inner.kind === "collection" && parts.length < node.types.length ? SCALAR : inner;
  }
  if (tsi.isTypeReferenceNode(node) && tsi.isIdentifier(node.typeName)) {
    const name = node.typeName.text;
    const byName = BY_NAME.get(name);
    if (byName !== undefined) return byName;
    const cls = detector.classInFile(node.getSourceFile(), name);
    if (cls !== undefined && detector.isMappedClass(cls)) return OBJECT;
  }
  return SCALAR;
}

function isNullishTypeNode(tsi: typeof ts, node: ts.TypeNode): boolean {
  if (node.kind === tsi.SyntaxKind.UndefinedKeyword || node.kind === tsi.SyntaxKind.VoidKeyword) return true;
  return tsi.isLiteralTypeNode(node) && node.literal.kind === tsi.SyntaxKind.NullKeyword;
}

function kindOfInitializer(env: TransformEnv, init: ts.Expression): InferredKind {
  const tsi = env.ts;
  if (tsi.isArrayLiteralExpression(init)) return LIST;
  if (tsi.isNewExpression(init) && tsi.isIdentifier(init.expression)) {
    const byName = BY_NAME.get(init.expression.text);
    if (byName !== undefined) return byName;
  }
  return SCALAR;
}
