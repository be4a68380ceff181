/**
 * Emits the constructor of a mapped class ("what to emit", from a MappedClassInfo alone):
 *
 * ```js
 * constructor(params) {                       // parameter properties become plain parameters
 *   const frame = ci.beginConstruction(new.target, C, arguments);
 *   try {
 *     ...statements before super()           // derived classes: no `this` yet
 *     super(...);                             // derived classes (synthesized when implicit)
 *     ci.enterConstruction(this, frame);      // state created, `init` fired (once per `new`)
 *     this.p = p;                             // parameter properties, in order
 *     this.x = <initializer>;                 // field initializers, in declaration order
 *     ...rest of the body
 *   } catch (error) { ci.failConstruction(frame, error); throw error; }
 *   finally { ci.endConstruction(frame); }
 * }
 * ```
 *
 * Assigning the fields in the constructor gives [[Set]] semantics through the installed
 * accessors under every `target` / `useDefineForClassFields`, so no attribute becomes an own data
 * property of the instance.
 */
import type * as ts from "typescript";
import type { FieldInit, MappedClassInfo } from "./analyze.js";

/** Names and helpers shared by the class emitter. */
export interface EmitScope {
  readonly ts: typeof ts;
  readonly context: ts.TransformationContext;
  /** The identifier of the runtime namespace import. */
  readonly runtime: ts.Identifier;
  /** Visits user code moved or kept in the output (nested classes get rewritten too). */
  readonly visit: <T extends ts.Node>(node: T) => T;
}

/** How the emitted code refers to the class being rewritten. */
export interface ClassBinding {
  /** The class's name binding (its own name, or the one the emitter gave an anonymous class). */
  readonly ref: ts.Identifier;
}

/** The property access `ci.<name>` on the runtime namespace. */
export function runtimeMember(scope: EmitScope, name: string): ts.PropertyAccessExpression {
  const f = scope.ts.factory;
  return f.createPropertyAccessExpression(scope.runtime, f.createIdentifier(name));
}

/** Builds the rewritten (or synthesized) constructor of a mapped class. */
export function emitConstructor(scope: EmitScope, info: MappedClassInfo, binding: ClassBinding): ts.ConstructorDeclaration {
  const tsi = scope.ts;
  const f = tsi.factory;
  const ctor = info.ctor;
  const frame = f.createUniqueName("frame");
  const error = f.createUniqueName("error");
  const restArgs = f.createUniqueName("args");

  const statements = ctor !== undefined ? ctor.body!.statements.map((s) => scope.visit(s)) : [];
  const beforeSuper = info.derived && ctor !== undefined ? statements.slice(0, info.superIndex) : [];
  const afterSuper = info.derived && ctor !== undefined ? statements.slice(info.superIndex + 1) : statements;
  const superStatement = !info.derived
    ? []
    : ctor !== undefined
      ? [statements[info.superIndex]!]
      : [f.createExpressionStatement(f.createCallExpression(f.createSuper(), undefined, [f.createSpreadElement(restArgs)]))];

  const enter = call(scope, "enterConstruction", [f.createThis(), frame]);
  const tryStatements: ts.Statement[] = [
    ...beforeSuper,
    ...superStatement,
    enter,
    ...info.shadowedKeys.map((key) => adoptShadowingProperty(scope, info, key)),
    ...info.parameterProperties.map((p) => parameterAssignment(scope, p, info)),
    ...info.fieldInits.map((init) => fieldAssignment(scope, init)),
    ...afterSuper,
  ];

  // Another class decorator may rebind the name to a replacement class; the runtime then finds
  // the class from new.target.
  const classRef = info.selfReference ? binding.ref : f.createVoidZero();
  const begin = f.createVariableStatement(
    undefined,
    f.createVariableDeclarationList(
      [
        f.createVariableDeclaration(
          frame,
          undefined,
          undefined,
          f.createCallExpression(runtimeMember(scope, "beginConstruction"), undefined, [
            f.createMetaProperty(tsi.SyntaxKind.NewKeyword, f.createIdentifier("target")),
            classRef,
            f.createIdentifier("arguments"),
          ]),
        ),
      ],
      tsi.NodeFlags.Const,
    ),
  );
  const guarded = f.createTryStatement(
    f.createBlock(tryStatements, true),
    f.createCatchClause(
      f.createVariableDeclaration(error),
      f.createBlock([call(scope, "failConstruction", [frame, error]), f.createThrowStatement(error)], true),
    ),
    f.createBlock([call(scope, "endConstruction", [frame])], true),
  );
  const mapTo = ctor ?? info.node;
  for (const node of [begin, guarded, enter]) tsi.setSourceMapRange(node, sourceRange(tsi, mapTo));

  const parameters =
    ctor !== undefined
      ? ctor.parameters.map((p) => plainParameter(scope, p, info))
      : info.derived
        ? [f.createParameterDeclaration(undefined, f.createToken(tsi.SyntaxKind.DotDotDotToken), restArgs)]
        : [];
  const body = f.createBlock([begin, guarded], true);
  if (ctor === undefined) return f.createConstructorDeclaration(undefined, parameters, body);
  const updated = f.updateConstructorDeclaration(ctor, ctor.modifiers, parameters, body);
  return updated;
}

function call(scope: EmitScope, name: string, args: ts.Expression[]): ts.ExpressionStatement {
  const f = scope.ts.factory;
  return f.createExpressionStatement(f.createCallExpression(runtimeMember(scope, name), undefined, args));
}

/** The source-map range of a parse-tree node (its text without leading trivia). */
export function sourceRange(tsi: typeof ts, node: ts.Node): ts.SourceMapRange {
  void tsi;
  return node.pos >= 0 ? { pos: node.getStart(), end: node.end } : { pos: -1, end: -1 };
}

/** A parameter property as a plain parameter (its modifiers and owned decorators removed). */
function plainParameter(scope: EmitScope, param: ts.ParameterDeclaration, info: MappedClassInfo): ts.ParameterDeclaration {
  const tsi = scope.ts;
  const f = tsi.factory;
  const modifiers = (param.modifiers ?? []).filter(
    (m) => (tsi.isDecorator(m) ? !info.ownedDecorators.has(m) : !info.parameterProperties.includes(param) || !isPropertyModifier(tsi, m)),
  );
  const visited = modifiers.map((m) => scope.visit(m));
  return f.updateParameterDeclaration(
    param,
    visited.length > 0 ? visited : undefined,
    param.dotDotDotToken,
    param.name,
    param.questionToken,
    param.type,
    param.initializer !== undefined ? scope.visit(param.initializer) : undefined,
  );
}

function isPropertyModifier(tsi: typeof ts, m: ts.ModifierLike): boolean {
  return (
    m.kind === tsi.SyntaxKind.PublicKeyword ||
    m.kind === tsi.SyntaxKind.PrivateKeyword ||
    m.kind === tsi.SyntaxKind.ProtectedKeyword ||
    m.kind === tsi.SyntaxKind.ReadonlyKeyword ||
    m.kind === tsi.SyntaxKind.OverrideKeyword
  );
}

/**
 * For an attribute that an unmapped base class declares as a field: its own data property (left
 * by [[Define]] semantics) would hide the accessor. Assigned again below: `delete this.k;`.
 * Otherwise its value moves into the attribute, as the runtime path of `@mapped` does:
 * `if (Object.prototype.hasOwnProperty.call(this, "k")) { const v = this.k; delete this.k; if (v !== undefined) this.k = v; }`.
 */
function adoptShadowingProperty(scope: EmitScope, info: MappedClassInfo, key: string): ts.Statement {
  const tsi = scope.ts;
  const f = tsi.factory;
  const access = (): ts.Expression =>
    /^[A-Za-z_$][\w$]*$/.test(key)
      ? f.createPropertyAccessExpression(f.createThis(), f.createIdentifier(key))
      : f.createElementAccessExpression(f.createThis(), f.createStringLiteral(key));
  const remove = f.createExpressionStatement(f.createDeleteExpression(access()));
  const assignedLater =
    info.parameterProperties.some((p) => tsi.isIdentifier(p.name) && p.name.text === key) ||
    info.fieldInits.some((init) => init.role === "attribute" && info.attributes.some((a) => a.node === init.member && a.key === key));
  if (assignedLater) return remove;
  const value = f.createUniqueName("value");
  const hasOwn = f.createCallExpression(
    f.createPropertyAccessExpression(
      f.createPropertyAccessExpression(f.createPropertyAccessExpression(f.createIdentifier("Object"), "prototype"), "hasOwnProperty"),
      "call",
    ),
    undefined,
    [f.createThis(), f.createStringLiteral(key)],
  );
  return f.createIfStatement(
    hasOwn,
    f.createBlock(
      [
        f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(value, undefined, undefined, access())], tsi.NodeFlags.Const)),
        remove,
        f.createIfStatement(
          f.createStrictInequality(value, f.createVoidZero()),
          f.createExpressionStatement(f.createAssignment(access(), value)),
        ),
      ],
      true,
    ),
  );
}

/** `this.p = p;` for a parameter property. */
function parameterAssignment(scope: EmitScope, param: ts.ParameterDeclaration, info: MappedClassInfo): ts.Statement {
  const tsi = scope.ts;
  const f = tsi.factory;
  const name = (param.name as ts.Identifier).text;
  let statement: ts.Statement = f.createExpressionStatement(
    f.createAssignment(f.createPropertyAccessExpression(f.createThis(), f.createIdentifier(name)), f.createIdentifier(name)),
  );
  const kind = info.attributes.find((a) => a.node === param)?.inferred.kind;
  if (kind === "collection" && param.questionToken !== undefined) {
    // An omitted optional collection parameter leaves the attribute unset (it reads as an empty
    // collection) instead of assigning `undefined`, which a collection attribute cannot hold.
    statement = f.createIfStatement(f.createStrictInequality(f.createIdentifier(name), f.createVoidZero()), statement);
  }
  tsi.setSourceMapRange(statement, sourceRange(tsi, param));
  return statement;
}

/** `this.x = <initializer>;` (or `this.#x = ...`, `this["k"] = ...`) for a moved field initializer. */
function fieldAssignment(scope: EmitScope, init: FieldInit): ts.Statement {
  const tsi = scope.ts;
  const f = tsi.factory;
  const member = init.member;
  const name = member.name;
  let target: ts.Expression;
  if (tsi.isPrivateIdentifier(name)) target = f.createPropertyAccessExpression(f.createThis(), f.createPrivateIdentifier(name.text));
  else if (tsi.isIdentifier(name)) target = f.createPropertyAccessExpression(f.createThis(), f.createIdentifier(name.text));
  else target = f.createElementAccessExpression(f.createThis(), f.createStringLiteral(literalKey(tsi, name)));
  tsi.setSourceMapRange(target, sourceRange(tsi, name));
  const statement = f.createExpressionStatement(f.createAssignment(target, scope.visit(init.initializer)));
  tsi.setTextRange(statement, member);
  tsi.setOriginalNode(statement, member);
  return statement;
}

function literalKey(tsi: typeof ts, name: ts.PropertyName): string {
  if (tsi.isStringLiteral(name) || tsi.isNoSubstitutionTemplateLiteral(name)) return name.text;
  if (tsi.isNumericLiteral(name)) return String(Number(name.text));
  if (tsi.isComputedPropertyName(name)) {
    const e = name.expression;
    if (tsi.isStringLiteral(e) || tsi.isNoSubstitutionTemplateLiteral(e)) return e.text;
    if (tsi.isNumericLiteral(e)) return String(Number(e.text));
  }
  throw new Error("field name has no build-time key");
}
