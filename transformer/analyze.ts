/**
 * Analysis ("where to rewrite"): turns a class node into a {@link MappedClassInfo} — its
 * attributes, the field initializers to move into the constructor in declaration order, the
 * parameter properties, the constructor's shape and the decorators to remove — or into the
 * problems that keep it from being rewritten. Nothing here builds output nodes.
 */
import type * as ts from "typescript";
import type { ClassLike, TransformEnv } from "./context.js";
import type { Detector, RuntimeDecorator } from "./detect.js";
import { Messages, problem, type Problem } from "./diagnostics.js";
import { inferKind, type InferredKind } from "./kinds.js";

/** One attribute of a mapped class, in declaration order (parameter properties first). */
export interface AttributeInfo {
  /** Attribute name. */
  readonly key: string;
  /** The field or parameter property declaring it. */
  readonly node: ts.PropertyDeclaration | ts.ParameterDeclaration;
  /** Kind inferred from the declared type. */
  readonly inferred: InferredKind;
  /** The argument of `@attribute(...)`, if any. */
  readonly options: ts.Expression | undefined;
}

/** How an instance field initializer is moved into the constructor. */
export type FieldRole = "attribute" | "private" | "transient";

/** One instance field initializer, moved into the constructor in declaration order. */
export interface FieldInit {
  readonly member: ts.PropertyDeclaration;
  readonly role: FieldRole;
  readonly initializer: ts.Expression;
}

/** Everything the emitter needs to rewrite one mapped class. */
export interface MappedClassInfo {
  readonly node: ClassLike;
  /** The class name (`undefined` for an anonymous class, which the emitter names). */
  readonly name: string | undefined;
  /** The `name` JavaScript gives an anonymous class from its position (`const X = class {}` → "X"). */
  readonly inferredName: string;
  /** Whether the constructor may name the class (named, and no other class decorator rebinds it). */
  readonly selfReference: boolean;
  /** The `@mapped(options)` argument. */
  readonly options: ts.Expression | undefined;
  /** Whether the class has an `extends` clause. */
  readonly derived: boolean;
  readonly attributes: readonly AttributeInfo[];
  readonly fieldInits: readonly FieldInit[];
  /** Parameter properties, in parameter order (assigned before the moved field initializers). */
  readonly parameterProperties: readonly ts.ParameterDeclaration[];
  /** The constructor implementation, if the class declares one. */
  readonly ctor: ts.ConstructorDeclaration | undefined;
  /** Index of the top-level `super(...)` statement in the constructor body (-1: none). */
  readonly superIndex: number;
  /** Decorators the transformer owns, removed from the output. */
  readonly ownedDecorators: ReadonlySet<ts.Decorator>;
  /** Attribute fields: removed from the class body. */
  readonly removedMembers: ReadonlySet<ts.ClassElement>;
  /** `#private` and `@transient` fields with an initializer: kept, without it. */
  readonly strippedMembers: ReadonlySet<ts.PropertyDeclaration>;
  /**
   * Attribute keys that an unmapped base class declares as a field: its constructor may leave
   * them as own data properties ([[Define]] semantics), which would shadow the accessors. The
   * constructor moves such a property into the attribute right after `super()`.
   */
  readonly shadowedKeys: readonly string[];
}

/** The outcome of analysing one class. */
export type Analysis =
  | { readonly mapped: false; readonly problems: readonly Problem[] }
  | { readonly mapped: true; readonly info: MappedClassInfo | undefined; readonly problems: readonly Problem[] };

/** Analyses `node`: not mapped (only misplaced decorators are reported), or mapped with its info. */
export function analyzeClass(env: TransformEnv, detector: Detector, node: ClassLike): Analysis {
  const tsi = env.ts;
  const problems: Problem[] = [];
  const className = node.name?.text ?? "<anonymous>";
  if (!detector.isMappedClass(node)) {
    reportMisplacedDecorators(env, detector, node, className, problems);
    return { mapped: false, problems };
  }
  const owned = new Set<ts.Decorator>();
  const classDecorators = tsi.getDecorators(node) ?? [];
  const mappedDecorator = classDecorators.find((d) => detector.decoratorKind(d) === "mapped");
  let options: ts.Expression | undefined;
  if (mappedDecorator !== undefined) {
    owned.add(mappedDecorator);
    if (tsi.isCallExpression(mappedDecorator.expression)) {
      const args = mappedDecorator.expression.arguments;
      if (args.length > 1) problems.push(problem(Messages.mappedArguments, mappedDecorator));
      options = args[0];
    }
  }
  const ctor = node.members.find((m): m is ts.ConstructorDeclaration => tsi.isConstructorDeclaration(m) && m.body !== undefined);
  const collector = new MemberCollector(env, detector, className, owned, problems);
  if (ctor !== undefined) collector.collectParameters(ctor);
  for (const member of node.members) collector.collectMember(member);
  const derived = detector.baseExpression(node) !== undefined;
  const superIndex = ctor !== undefined && derived ? findSuperStatement(tsi, ctor, className, problems) : -1;
  if (ctor !== undefined) {
    checkReturns(tsi, ctor, className, problems);
    checkInitializers(tsi, collector.fieldInits, ctor, className, problems);
  } else {
    checkInitializers(tsi, collector.fieldInits, undefined, className, problems);
  }
  if (problems.length > 0) return { mapped: true, info: undefined, problems };
  const otherClassDecorators = classDecorators.some((d) => !owned.has(d));
  return {
    mapped: true,
    problems,
    info: {
      node,
      name: node.name?.text,
      inferredName: node.name?.text ?? inferredClassName(tsi, node),
      selfReference: node.name !== undefined && !otherClassDecorators,
      options,
      derived,
      attributes: collector.attributes,
      fieldInits: collector.fieldInits,
      parameterProperties: collector.parameterProperties,
      ctor,
      superIndex,
      ownedDecorators: owned,
      removedMembers: collector.removedMembers,
      strippedMembers: collector.strippedMembers,
      shadowedKeys: derived ? shadowedKeys(env, detector, node, collector.attributes) : [],
    },
  };
}

/**
 * Keys of `attributes` declared as instance fields (or parameter properties) by an unmapped class
 * of the base chain (found through the checker, or in the same file). Under [[Define]] semantics
 * (`useDefineForClassFields`) such a base constructor defines an own data property that hides the
 * accessor of the attribute. A base class known only from a declaration file counts as unmapped.
 */
function shadowedKeys(env: TransformEnv, detector: Detector, node: ClassLike, attributes: readonly AttributeInfo[]): string[] {
  const tsi = env.ts;
  const keys = new Set(attributes.map((a) => a.key));
  const found = new Set<string>();
  const seen = new Set<ClassLike>();
  const next = (cls: ClassLike): ClassLike | undefined => {
    const expression = detector.baseExpression(cls);
    return expression === undefined ? undefined : detector.classOfExpression(expression);
  };
  for (let base = next(node); base !== undefined && !seen.has(base); base = next(base)) {
    seen.add(base);
    if (!base.getSourceFile().isDeclarationFile && detector.isMappedClass(base)) continue;
    for (const member of base.members) {
      if (tsi.isConstructorDeclaration(member)) {
        for (const param of member.parameters) {
          if (isParameterProperty(tsi, param) && tsi.isIdentifier(param.name) && keys.has(param.name.text)) found.add(param.name.text);
        }
        continue;
      }
      if (!tsi.isPropertyDeclaration(member) || tsi.isPrivateIdentifier(member.name)) continue;
      if ([tsi.SyntaxKind.StaticKeyword, tsi.SyntaxKind.DeclareKeyword, tsi.SyntaxKind.AbstractKeyword, tsi.SyntaxKind.AccessorKeyword].some((k) => hasModifier(tsi, member, k))) continue;
      const key = attributeKey(tsi, member.name);
      if (key !== undefined && keys.has(key)) found.add(key);
    }
  }
  return attributes.map((a) => a.key).filter((k) => found.has(k));
}

/** Sorts the members of a mapped class into attributes, moved initializers and kept fields. */
class MemberCollector {
  readonly attributes: AttributeInfo[] = [];
  readonly fieldInits: FieldInit[] = [];
  readonly parameterProperties: ts.ParameterDeclaration[] = [];
  readonly removedMembers = new Set<ts.ClassElement>();
  readonly strippedMembers = new Set<ts.PropertyDeclaration>();

  constructor(
    private readonly env: TransformEnv,
    private readonly detector: Detector,
    private readonly className: string,
    private readonly owned: Set<ts.Decorator>,
    private readonly problems: Problem[],
  ) {}

  collectParameters(ctor: ts.ConstructorDeclaration): void {
    const tsi = this.env.ts;
    for (const param of ctor.parameters) {
      if (!isParameterProperty(tsi, param) || !tsi.isIdentifier(param.name)) continue;
      const marks = this.ownedMarks(param);
      if (marks === undefined) continue;
      this.parameterProperties.push(param);
      if (marks.transient) continue;
      this.attributes.push({ key: param.name.text, node: param, inferred: inferKind(this.env, this.detector, param), options: marks.options });
    }
  }

  collectMember(member: ts.ClassElement): void {
    const tsi = this.env.ts;
    if (!tsi.isPropertyDeclaration(member)) {
      this.rejectOwned(member, memberName(tsi, member));
      return;
    }
    const name = memberName(tsi, member);
    // An auto-accessor (`accessor x = 1`) is an instance field whose storage happens to be
    // private: it becomes an attribute like any field (its generated accessor replaces the one
    // `accessor` would define), so no field of a mapped class is left untracked.
    if (hasModifier(tsi, member, tsi.SyntaxKind.StaticKeyword) || hasModifier(tsi, member, tsi.SyntaxKind.AbstractKeyword)) {
      this.rejectOwned(member, name);
      return;
    }
    if (tsi.isPrivateIdentifier(member.name)) {
      this.rejectOwned(member, name);
      if (member.initializer !== undefined) {
        this.fieldInits.push({ member, role: "private", initializer: member.initializer });
        this.strippedMembers.add(member);
      }
      return;
    }
    const marks = this.ownedMarks(member);
    if (marks === undefined) return;
    if (marks.transient) {
      if (marks.foreign && member.initializer !== undefined) return; // a decorated transient field stays exactly as written
      if (member.initializer !== undefined) this.fieldInits.push({ member, role: "transient", initializer: member.initializer });
      this.strippedMembers.add(member);
      return;
    }
    const key = attributeKey(tsi, member.name);
    if (key === undefined) {
      this.problems.push(problem(Messages.computedFieldName, member.name, name, this.className));
      return;
    }
    if (marks.foreign) {
      this.problems.push(problem(Messages.foreignFieldDecorator, member, key, this.className));
      return;
    }
    this.attributes.push({ key, node: member, inferred: inferKind(this.env, this.detector, member), options: marks.options });
    this.removedMembers.add(member);
    if (member.initializer !== undefined) this.fieldInits.push({ member, role: "attribute", initializer: member.initializer });
  }

  /** The owned decorators of a field or parameter: transient, the @attribute options, and whether others remain. */
  private ownedMarks(node: ts.HasDecorators): { transient: boolean; options: ts.Expression | undefined; foreign: boolean } | undefined {
    const tsi = this.env.ts;
    let transient = false;
    let attribute = false;
    let options: ts.Expression | undefined;
    let foreign = false;
    for (const decorator of tsi.getDecorators(node) ?? []) {
      const kind = this.detector.decoratorKind(decorator);
      if (kind === "transient") transient = true;
      else if (kind === "attribute") {
        attribute = true;
        if (tsi.isCallExpression(decorator.expression)) {
          if (decorator.expression.arguments.length > 1) this.problems.push(problem(Messages.attributeArguments, decorator));
          options = decorator.expression.arguments[0];
        }
      } else if (kind === "mapped") {
        this.problems.push(problem(Messages.misplacedFieldDecorator, decorator, "mapped", nodeName(tsi, node)));
        return undefined;
      } else {
        foreign = true;
        continue;
      }
      this.owned.add(decorator);
    }
    if (transient && attribute) {
      this.problems.push(problem(Messages.conflictingFieldDecorators, node, nodeName(tsi, node), this.className));
      return undefined;
    }
    return { transient, options, foreign };
  }

  /** Reports owned field decorators on members that cannot be attributes. */
  private rejectOwned(member: ts.ClassElement, name: string): void {
    const tsi = this.env.ts;
    if (!tsi.canHaveDecorators(member)) return;
    for (const decorator of tsi.getDecorators(member) ?? []) {
      const kind = this.detector.decoratorKind(decorator);
      if (kind !== undefined) this.problems.push(problem(Messages.misplacedFieldDecorator, decorator, kind, name));
    }
  }
}

function reportMisplacedDecorators(env: TransformEnv, detector: Detector, node: ClassLike, className: string, problems: Problem[]): void {
  const tsi = env.ts;
  const check = (target: ts.Node, name: string): void => {
    if (!tsi.canHaveDecorators(target)) return;
    for (const decorator of tsi.getDecorators(target) ?? []) {
      const kind: RuntimeDecorator | undefined = detector.decoratorKind(decorator);
      if (kind === "attribute" || kind === "transient") problems.push(problem(Messages.misplacedFieldDecorator, decorator, kind, name));
    }
  };
  for (const member of node.members) {
    check(member, `${className}.${memberName(tsi, member)}`);
    if (tsi.isConstructorDeclaration(member)) for (const p of member.parameters) check(p, `${className}.${nodeName(tsi, p)}`);
  }
}

function isParameterProperty(tsi: typeof ts, param: ts.ParameterDeclaration): boolean {
  return (tsi.getModifiers(param) ?? []).some(
    (m) =>
      m.kind === tsi.SyntaxKind.PublicKeyword ||
      m.kind === tsi.SyntaxKind.PrivateKeyword ||
      m.kind === tsi.SyntaxKind.ProtectedKeyword ||
      m.kind === tsi.SyntaxKind.ReadonlyKeyword ||
      m.kind === tsi.SyntaxKind.OverrideKeyword,
  );
}

/** Whether `node` carries a modifier of `kind`. */
export function hasModifier(tsi: typeof ts, node: ts.Node, kind: ts.SyntaxKind): boolean {
  return tsi.canHaveModifiers(node) && (tsi.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

/** The attribute key of a property name known at build time (`undefined` for computed names). */
function attributeKey(tsi: typeof ts, name: ts.PropertyName): string | undefined {
  if (tsi.isIdentifier(name) || tsi.isStringLiteral(name) || tsi.isNoSubstitutionTemplateLiteral(name)) return name.text;
  if (tsi.isNumericLiteral(name)) return String(Number(name.text));
  if (tsi.isComputedPropertyName(name)) {
    const e = name.expression;
    if (tsi.isStringLiteral(e) || tsi.isNoSubstitutionTemplateLiteral(e)) return e.text;
    if (tsi.isNumericLiteral(e)) return String(Number(e.text));
  }
  return undefined;
}

function memberName(tsi: typeof ts, member: ts.ClassElement): string {
  if (tsi.isConstructorDeclaration(member)) return "constructor";
  if (tsi.isClassStaticBlockDeclaration(member)) return "static block";
  const name = member.name;
  if (name === undefined) return "<member>";
  if (tsi.isIdentifier(name) || tsi.isPrivateIdentifier(name) || tsi.isStringLiteral(name) || tsi.isNumericLiteral(name)) return name.text;
  return name.getText();
}

function nodeName(tsi: typeof ts, node: ts.Node): string {
  const name = (node as { name?: ts.Node }).name;
  if (name !== undefined && (tsi.isIdentifier(name) || tsi.isPrivateIdentifier(name) || tsi.isStringLiteral(name))) return name.text;
  return name !== undefined && name.pos >= 0 ? name.getText() : "<anonymous>";
}

/** Finds the single top-level `super(...)` statement of a derived constructor, else reports CI1001. */
function findSuperStatement(tsi: typeof ts, ctor: ts.ConstructorDeclaration, className: string, problems: Problem[]): number {
  const statements = ctor.body!.statements;
  let index = -1;
  let calls = 0;
  statements.forEach((statement, i) => {
    if (tsi.isExpressionStatement(statement) && isSuperCall(tsi, statement.expression)) index = i;
  });
  forEachInFunction(tsi, ctor.body!, (node) => {
    if (isSuperCall(tsi, node)) calls++;
  });
  if (index < 0 || calls !== 1) {
    problems.push(problem(Messages.superCallShape, index >= 0 ? statements[index] : ctor, className));
    return -1;
  }
  return index;
}

function isSuperCall(tsi: typeof ts, node: ts.Node): boolean {
  return tsi.isCallExpression(node) && node.expression.kind === tsi.SyntaxKind.SuperKeyword;
}

function checkReturns(tsi: typeof ts, ctor: ts.ConstructorDeclaration, className: string, problems: Problem[]): void {
  forEachInFunction(tsi, ctor.body!, (node) => {
    if (tsi.isReturnStatement(node) && node.expression !== undefined) problems.push(problem(Messages.constructorReturnsValue, node, className));
  }, true);
}

/** Visits the nodes of a function body, not entering nested functions (arrows too when `skipArrows`) or classes. */
function forEachInFunction(tsi: typeof ts, root: ts.Node, fn: (node: ts.Node) => void, skipArrows = false): void {
  const visit = (node: ts.Node): void => {
    fn(node);
    if (tsi.isFunctionLike(node) && !(tsi.isArrowFunction(node) && !skipArrows)) return;
    if (tsi.isClassLike(node)) return;
    tsi.forEachChild(node, visit);
  };
  tsi.forEachChild(root, visit);
}

/** Initializers moved into the constructor must mean the same there: no new.target, no captured names. */
function checkInitializers(tsi: typeof ts, inits: readonly FieldInit[], ctor: ts.ConstructorDeclaration | undefined, className: string, problems: Problem[]): void {
  const scope = ctor !== undefined ? constructorScope(tsi, ctor) : new Set<string>();
  for (const { member, initializer } of inits) {
    const field = tsi.isIdentifier(member.name) || tsi.isPrivateIdentifier(member.name) ? member.name.text : "<field>";
    const newTarget = findFirst(
      tsi,
      initializer,
      (n) => tsi.isMetaProperty(n) && n.keywordToken === tsi.SyntaxKind.NewKeyword,
      (n) => (tsi.isFunctionLike(n) && !tsi.isArrowFunction(n)) || tsi.isClassLike(n),
    );
    if (newTarget !== undefined) {
      problems.push(problem(Messages.initializerUsesNewTarget, newTarget, field, className));
      continue;
    }
    if (scope.size === 0) continue;
    const declaredInside = new Set<string>();
    collectBindings(tsi, initializer, declaredInside);
    const captured = findFirst(tsi, initializer, (n) => tsi.isIdentifier(n) && scope.has(n.text) && !declaredInside.has(n.text) && isReference(tsi, n));
    if (captured !== undefined) {
      problems.push(problem(Messages.initializerCapturedByConstructor, captured, field, className, (captured as ts.Identifier).text));
    }
  }
}

/** The first node under `root` (itself included) matching `pred`, not looking inside nodes matching `stop`. */
function findFirst(tsi: typeof ts, root: ts.Node, pred: (n: ts.Node) => boolean, stop?: (n: ts.Node) => boolean): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (found !== undefined) return;
    if (pred(node)) {
      found = node;
      return;
    }
    if (node !== root && stop?.(node)) return;
    tsi.forEachChild(node, visit);
  };
  visit(root);
  return found;
}

/** Names a constructor binds in its own scope: parameters and top-level declarations. */
function constructorScope(tsi: typeof ts, ctor: ts.ConstructorDeclaration): Set<string> {
  const names = new Set<string>();
  for (const p of ctor.parameters) collectBindingName(tsi, p.name, names);
  for (const statement of ctor.body?.statements ?? []) {
    if (tsi.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) collectBindingName(tsi, d.name, names);
    else if ((tsi.isFunctionDeclaration(statement) || tsi.isClassDeclaration(statement)) && statement.name) names.add(statement.name.text);
  }
  forEachInFunction(tsi, ctor.body!, (node) => {
    if (tsi.isVariableDeclarationList(node) && (node.flags & (tsi.NodeFlags.Let | tsi.NodeFlags.Const)) === 0) {
      for (const d of node.declarations) collectBindingName(tsi, d.name, names);
    }
  });
  return names;
}

function collectBindingName(tsi: typeof ts, name: ts.BindingName, out: Set<string>): void {
  if (tsi.isIdentifier(name)) out.add(name.text);
  else for (const element of name.elements) if (!tsi.isOmittedExpression(element)) collectBindingName(tsi, element.name, out);
}

/** Every name bound inside an expression (parameters, local declarations): never captured. */
function collectBindings(tsi: typeof ts, root: ts.Node, out: Set<string>): void {
  const visit = (node: ts.Node): void => {
    if (tsi.isParameter(node) || tsi.isVariableDeclaration(node) || tsi.isBindingElement(node)) collectBindingName(tsi, node.name, out);
    else if ((tsi.isFunctionDeclaration(node) || tsi.isFunctionExpression(node) || tsi.isClassLike(node)) && node.name && tsi.isIdentifier(node.name)) out.add(node.name.text);
    tsi.forEachChild(node, visit);
  };
  visit(root);
}

/** Whether an identifier is a value reference (not a property name, label or type). */
function isReference(tsi: typeof ts, id: ts.Identifier): boolean {
  const parent = id.parent;
  if (parent === undefined) return false;
  if (tsi.isPropertyAccessExpression(parent) && parent.name === id) return false;
  if ((tsi.isPropertyAssignment(parent) || tsi.isMethodDeclaration(parent) || tsi.isPropertyDeclaration(parent) || tsi.isAccessor(parent)) && parent.name === id) return false;
  if (tsi.isTypeReferenceNode(parent) || tsi.isQualifiedName(parent) || tsi.isTypeQueryNode(parent)) return false;
  if (tsi.isLabeledStatement(parent) || tsi.isBreakOrContinueStatement(parent)) return false;
  if (tsi.isPropertyAccessExpression(parent) || tsi.isCallExpression(parent) || tsi.isShorthandPropertyAssignment(parent)) return true;
  return !tsi.isTypeNode(parent);
}

/** The name NamedEvaluation gives an anonymous class: its binding, property or "default". */
function inferredClassName(tsi: typeof ts, node: ClassLike): string {
  if (tsi.isClassDeclaration(node)) return "default";
  const parent = node.parent;
  if (parent === undefined) return "";
  if ((tsi.isVariableDeclaration(parent) || tsi.isPropertyAssignment(parent) || tsi.isPropertyDeclaration(parent)) && parent.initializer === node) {
    const name = parent.name;
    if (tsi.isIdentifier(name) || tsi.isStringLiteral(name) || tsi.isPrivateIdentifier(name)) return name.text;
  }
  if (tsi.isBinaryExpression(parent) && parent.right === node && parent.operatorToken.kind === tsi.SyntaxKind.EqualsToken && tsi.isIdentifier(parent.left)) {
    return parent.left.text;
  }
  if (tsi.isExportAssignment(parent)) return "default";
  return "";
}
