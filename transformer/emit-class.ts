/**
 * Emits a mapped class from its MappedClassInfo:
 *
 * - a first static block `static { ci.defineMapped(this, { options, attributes: [...] }) }` that
 *   registers the class and its attributes at definition time, before any other static
 *   initializer can construct an instance; each attribute carries its kind and its accessor
 *   factory generated at build time;
 * - attribute fields removed; `#private` and `@transient` fields kept without their initializer
 *   (moved into the constructor, so every instance field keeps its declaration order);
 * - the constructor rewritten (or synthesized) by `emit-constructor.ts`;
 * - the decorators the transformer owns removed; everything else kept and visited.
 */
import type * as ts from "typescript";
import type { AttributeInfo, MappedClassInfo } from "./analyze.js";
import { createAccessorFactory } from "./emit-accessor.js";
import { emitConstructor, runtimeMember, sourceRange, type ClassBinding, type EmitScope } from "./emit-constructor.js";

/**
 * The rewritten class. A class declaration registers itself from its first static block; a class
 * expression is wrapped as `ci.defineMapped(class ... {}, spec)` instead, because lowering static
 * blocks (targets below ES2022) moves them out of a class expression, where its name is unbound.
 */
export function emitMappedClass(scope: EmitScope, info: MappedClassInfo): ts.Node {
  const tsi = scope.ts;
  const f = tsi.factory;
  const node = info.node;
  // Registration must not use `this`: TypeScript's lowering of static blocks only rewrites the
  // `this` it saw in the source. An anonymous class gets a name (its `name` is restored at run time).
  const name = node.name ?? f.createUniqueName(identifierFrom(info.inferredName));
  const binding: ClassBinding = { ref: name };
  const ctor = emitConstructor(scope, info, binding);
  // See detachFromSource: a class that keeps other decorators (lowered into an IIFE by the ES
  // decorators transform), and a class expression, are cut from the source class; their
  // registration block then names the class `this`, which the class-fields transform rewrites to
  // its alias when it lowers static blocks. A class expression with static members registers
  // from such a block too (not by a wrapper), so that its static initializers can construct it.
  // Legacy decorators (experimentalDecorators) lower from the source node on purpose (it is what
  // they serialize `emitDecoratorMetadata` types from), and cannot decorate class expressions.
  const legacyDecorators = scope.context.getCompilerOptions().experimentalDecorators === true;
  const detach = !legacyDecorators && (tsi.isClassExpression(node) || hasForeignDecorators(tsi, info));
  const selfBlock = tsi.isClassExpression(node) && node.members.some((m) => isStaticMember(tsi, m));
  const registration: ts.Expression = detach ? f.createThis() : binding.ref;
  const members: ts.ClassElement[] = [];
  // The registration runs first, except after a static `__sa_instrumentation_manager__`: the
  // extension reads that hook when the class is registered, so it must be defined by then.
  const hook = tsi.isClassDeclaration(node) ? node.members.find((m) => isInstrumentationHook(tsi, m)) : undefined;
  if ((tsi.isClassDeclaration(node) || selfBlock) && hook === undefined) members.push(registrationBlock(scope, info, registration));
  if (info.ctor === undefined) members.push(ctor);
  for (const member of node.members) {
    if (info.removedMembers.has(member)) continue;
    if (member === info.ctor) members.push(ctor);
    else if (tsi.isConstructorDeclaration(member)) continue; // overload signatures: no runtime
    else if (tsi.isPropertyDeclaration(member) && info.strippedMembers.has(member)) members.push(keptField(scope, info, member));
    else members.push(scope.visit(member));
    if (member === hook) members.push(registrationBlock(scope, info, registration));
  }
  const modifiers = withoutOwned(scope, info, node.modifiers);
  const heritage = node.heritageClauses?.map((h) => scope.visit(h));
  if (tsi.isClassDeclaration(node)) {
    const declaration = f.updateClassDeclaration(node, modifiers, name, node.typeParameters, heritage, members);
    return detach ? detachFromSource(tsi, declaration) : declaration;
  }
  const expression = detachFromSource(tsi, f.updateClassExpression(node, modifiers, name, node.typeParameters, heritage, members));
  if (selfBlock) {
    // defineMapped sets the name an anonymous class had in the source (spec.name).
    return expression;
  }
  const wrapped = f.createCallExpression(runtimeMember(scope, "defineMapped"), undefined, [expression, specObject(scope, info)]);
  tsi.setSourceMapRange(wrapped, sourceRange(tsi, node));
  return wrapped;
}

/**
 * Cuts the link from the emitted class to the source class. TypeScript's later transforms read
 * the source node (`getOriginalNode`) to decide how to lower a class, and the source still
 * carries `@mapped`, which the emitted class no longer has: below ES2022 the class-fields
 * transform then lowers a class it believes decorated (static blocks and static fields become
 * statements after it), which broke classes with member decorators (`_m_decorators is not
 * defined`) and class expressions with static fields (`class_1 is not defined`). Text range and
 * comments are kept for source maps.
 */
function detachFromSource<T extends ts.ClassDeclaration | ts.ClassExpression>(tsi: typeof ts, emitted: T): T {
  return tsi.setOriginalNode(emitted, undefined);
}

/** Whether the class keeps decorators the transformer does not own (on itself, a member or a parameter). */
function hasForeignDecorators(tsi: typeof ts, info: MappedClassInfo): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (tsi.isDecorator(n)) {
      if (!info.ownedDecorators.has(n)) found = true;
      return;
    }
    if (n !== info.node && (tsi.isClassLike(n) || tsi.isFunctionLike(n) && !tsi.isMethodDeclaration(n) && !tsi.isConstructorDeclaration(n) && !tsi.isAccessor(n))) return;
    tsi.forEachChild(n, visit);
  };
  visit(info.node);
  return found;
}

/** A static property, method, accessor or block. */
function isStaticMember(tsi: typeof ts, member: ts.ClassElement): boolean {
  if (tsi.isClassStaticBlockDeclaration(member)) return true;
  return (tsi.getCombinedModifierFlags(member as unknown as ts.Declaration) & tsi.ModifierFlags.Static) !== 0;
}

/** A static property named like the extension's hook (`static __sa_instrumentation_manager__ = ...`). */
function isInstrumentationHook(tsi: typeof ts, member: ts.ClassElement): boolean {
  if (!tsi.isPropertyDeclaration(member) || member.name === undefined) return false;
  const isStatic = (tsi.getCombinedModifierFlags(member as ts.Declaration) & tsi.ModifierFlags.Static) !== 0;
  const name = tsi.isIdentifier(member.name) || tsi.isStringLiteral(member.name) ? member.name.text : undefined;
  return isStatic && name === "__sa_instrumentation_manager__";
}

/** `static { ci.defineMapped(C, { ... }); }`, first member: registered before any static initializer runs. */
function registrationBlock(scope: EmitScope, info: MappedClassInfo, classRef: ts.Expression): ts.ClassStaticBlockDeclaration {
  const tsi = scope.ts;
  const f = tsi.factory;
  const statement = f.createExpressionStatement(
    f.createCallExpression(runtimeMember(scope, "defineMapped"), undefined, [classRef, specObject(scope, info)]),
  );
  tsi.setSourceMapRange(statement, sourceRange(tsi, info.node.name ?? info.node));
  return f.createClassStaticBlockDeclaration(f.createBlock([statement], true));
}

/** `{ name?, options?, attributes: [...] }`: what defineMapped needs to know. */
function specObject(scope: EmitScope, info: MappedClassInfo): ts.ObjectLiteralExpression {
  const f = scope.ts.factory;
  const properties: ts.ObjectLiteralElementLike[] = [];
  if (info.name === undefined) properties.push(f.createPropertyAssignment("name", f.createStringLiteral(info.inferredName)));
  if (info.options !== undefined) properties.push(f.createPropertyAssignment("options", scope.visit(info.options)));
  properties.push(
    f.createPropertyAssignment("attributes", f.createArrayLiteralExpression(info.attributes.map((a) => attributeSpec(scope, a)), true)),
  );
  return f.createObjectLiteralExpression(properties, true);
}

/** `{ key, kind, collection?, options?, accessor }` for one attribute. */
function attributeSpec(scope: EmitScope, attribute: AttributeInfo): ts.ObjectLiteralExpression {
  const f = scope.ts.factory;
  const properties: ts.ObjectLiteralElementLike[] = [
    f.createPropertyAssignment("key", f.createStringLiteral(attribute.key)),
    f.createPropertyAssignment("kind", f.createStringLiteral(attribute.inferred.kind)),
  ];
  if (attribute.inferred.collection !== undefined) {
    properties.push(f.createPropertyAssignment("collection", f.createStringLiteral(attribute.inferred.collection)));
  }
  if (attribute.options !== undefined) properties.push(f.createPropertyAssignment("options", scope.visit(attribute.options)));
  properties.push(f.createPropertyAssignment("accessor", createAccessorFactory(scope.ts, scope.context, attribute.key)));
  const spec = f.createObjectLiteralExpression(properties, true);
  scope.ts.setSourceMapRange(spec, sourceRange(scope.ts, attribute.node));
  return spec;
}

/** A `#private` or `@transient` field, kept as a declaration without its (moved) initializer. */
function keptField(scope: EmitScope, info: MappedClassInfo, member: ts.PropertyDeclaration): ts.PropertyDeclaration {
  const f = scope.ts.factory;
  return f.updatePropertyDeclaration(member, withoutOwned(scope, info, member.modifiers), member.name, member.questionToken ?? member.exclamationToken, member.type, undefined);
}

/** Modifiers without the decorators the transformer owns (the others visited). */
function withoutOwned(scope: EmitScope, info: MappedClassInfo, modifiers: ts.NodeArray<ts.ModifierLike> | undefined): ts.ModifierLike[] | undefined {
  if (modifiers === undefined) return undefined;
  const kept = modifiers.filter((m) => !(scope.ts.isDecorator(m) && info.ownedDecorators.has(m))).map((m) => scope.visit(m));
  return kept.length > 0 ? kept : undefined;
}

/** A valid identifier base for the generated name of an anonymous class. */
function identifierFrom(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_$]/g, "_");
  return cleaned === "" || /^[0-9]/.test(cleaned) || cleaned === "default" ? "MappedClass" : cleaned;
}
