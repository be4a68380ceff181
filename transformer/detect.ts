/**
 * Recognition: which decorators are the runtime's `@mapped`, `@attribute` and `@transient`, and
 * which classes are mapped (decorated with `@mapped`, or subclasses of a mapped class).
 *
 * With a checker, a decorator is recognised by resolving its symbol (through aliases, renamed and
 * re-exported imports) to its declaration in the runtime's `mapped` module. Without one, or when
 * the symbol does not resolve (a single-file program), it is recognised syntactically: an import
 * of the runtime module by name (`import { mapped as m }`, `import * as ci`).
 */
import type * as ts from "typescript";
import type { ClassLike, TransformEnv } from "./context.js";

/** The decorators the transformer owns. */
export type RuntimeDecorator = "mapped" | "attribute" | "transient";

const RUNTIME_DECORATORS: ReadonlySet<string> = new Set<RuntimeDecorator>(["mapped", "attribute", "transient"]);

/** Declarations of the runtime's decorators live in `runtime/mapped.ts` (or its `.d.ts`). */
const RUNTIME_FILE = /[\\/]runtime[\\/]mapped\.(?:d\.)?[cm]?ts$/;

/** Local names bound to the runtime module's exports in one file. */
interface ImportTable {
  /** Local name → exported name (`import { mapped as m }` gives `m → mapped`). */
  readonly named: ReadonlyMap<string, string>;
  /** Local names of namespace imports (`import * as ci`). */
  readonly namespaces: ReadonlySet<string>;
}

/** Decorator and mapped-class recognition for one transformation (results memoised per node). */
export class Detector {
  private readonly imports = new WeakMap<ts.SourceFile, ImportTable>();
  private readonly mappedMemo = new WeakMap<ts.Node, boolean>();
  /** Declaration file of a referenced project's output → its source file name (built lazily). */
  private referenceSources: Map<string, string> | undefined;
  /** Source files of referenced projects, parsed on demand (syntax-only recognition). */
  private readonly parsedSources = new Map<string, ts.SourceFile | undefined>();

  constructor(private readonly env: TransformEnv) {}

  /** Which runtime decorator `decorator` is, if any. */
  decoratorKind(decorator: ts.Decorator): RuntimeDecorator | undefined {
    const tsi = this.env.ts;
    const callee = tsi.isCallExpression(decorator.expression) ? decorator.expression.expression : decorator.expression;
    const resolved = this.resolveByChecker(callee);
    if (resolved !== "unresolved") return resolved;
    return this.resolveBySyntax(callee);
  }

  /** The class's `@mapped` decorator, if it has one. */
  mappedDecoratorOf(node: ClassLike): ts.Decorator | undefined {
    return this.env.ts.getDecorators(node)?.find((d) => this.decoratorKind(d) === "mapped");
  }

  /** Whether `node` is decorated with `@mapped` or extends a mapped class. */
  isMappedClass(node: ClassLike): boolean {
    const memo = this.mappedMemo.get(node);
    if (memo !== undefined) return memo;
    this.mappedMemo.set(node, false); // cycle guard
    const result = this.mappedDecoratorOf(node) !== undefined || this.hasMappedBase(node);
    this.mappedMemo.set(node, result);
    return result;
  }

  /** Whether the class extends a mapped class (resolved through the checker, or in the same file). */
  hasMappedBase(node: ClassLike): boolean {
    const base = this.baseExpression(node);
    if (base === undefined) return false;
    const decl = this.classOfExpression(base);
    return decl !== undefined && this.isMappedClass(decl);
  }

  /** The expression after `extends`, if any. */
  baseExpression(node: ClassLike): ts.Expression | undefined {
    const tsi = this.env.ts;
    for (const clause of node.heritageClauses ?? []) {
      if (clause.token === tsi.SyntaxKind.ExtendsKeyword && clause.types.length > 0) return clause.types[0]!.expression;
    }
    return undefined;
  }

  /** The class declaration an expression (a base class, a type's symbol) refers to, if found. */
  classOfExpression(expr: ts.Expression): ClassLike | undefined {
    const tsi = this.env.ts;
    const checker = this.env.checker;
    if (checker !== undefined && !this.isParsedSource(expr)) {
      const symbol = this.symbolOf(expr);
      if (symbol !== undefined) return this.classOfSymbol(symbol);
    }
    if (tsi.isIdentifier(expr)) return this.classInFile(expr.getSourceFile(), expr.text);
    return undefined;
  }

  /** The class declaration of a symbol (class, or variable initialised with a class expression). */
  classOfSymbol(symbol: ts.Symbol): ClassLike | undefined {
    const tsi = this.env.ts;
    for (const decl of symbol.declarations ?? []) {
      if (tsi.isClassDeclaration(decl) || tsi.isClassExpression(decl)) return this.sourceOfDeclaration(decl) ?? decl;
      if (tsi.isVariableDeclaration(decl) && decl.initializer !== undefined) {
        const init = skipOuterExpressions(tsi, decl.initializer);
        if (tsi.isClassExpression(init)) return init;
      }
    }
    return undefined;
  }

  /** The class named `name` declared anywhere in `file` (syntax-only fallback). */
  classInFile(file: ts.SourceFile, name: string): ClassLike | undefined {
    const tsi = this.env.ts;
    let found: ClassLike | undefined;
    const visit = (node: ts.Node): void => {
      if (found !== undefined) return;
      if (tsi.isClassDeclaration(node) && node.name?.text === name) found = node;
      else if (tsi.isVariableDeclaration(node) && tsi.isIdentifier(node.name) && node.name.text === name && node.initializer) {
        const init = skipOuterExpressions(tsi, node.initializer);
        if (tsi.isClassExpression(init)) found = init;
      }
      if (found === undefined) tsi.forEachChild(node, visit);
    };
    visit(file);
    return found;
  }

  /**
   * A class of a referenced project's `.d.ts` output (`tspc -b`, project references) has lost its
   * decorators: the class of the same name in that project's source file, parsed on its own
   * (recognised syntactically), stands in for it.
   */
  private sourceOfDeclaration(decl: ClassLike): ClassLike | undefined {
    const file = decl.getSourceFile();
    if (!file.isDeclarationFile || decl.name === undefined) return undefined;
    const sourceName = this.referenceSourceMap().get(normalizePath(file.fileName));
    if (sourceName === undefined) return undefined;
    let source = this.parsedSources.get(sourceName);
    if (!this.parsedSources.has(sourceName)) {
      const tsi = this.env.ts;
      const text = tsi.sys.readFile(sourceName);
      source = text === undefined ? undefined : tsi.createSourceFile(sourceName, text, tsi.ScriptTarget.Latest, true);
      this.parsedSources.set(sourceName, source);
    }
    return source === undefined ? undefined : this.classInFile(source, decl.name.text);
  }

  /** Whether `node` belongs to a referenced project's source parsed here (not part of the program: no checker). */
  private isParsedSource(node: ts.Node): boolean {
    const file = node.getSourceFile();
    return this.parsedSources.get(file.fileName) === file;
  }

  private referenceSourceMap(): Map<string, string> {
    if (this.referenceSources !== undefined) return this.referenceSources;
    const map = new Map<string, string>();
    this.referenceSources = map;
    const tsi = this.env.ts;
    const references = this.env.program?.getResolvedProjectReferences?.() ?? [];
    const ignoreCase = !tsi.sys.useCaseSensitiveFileNames;
    const visit = (refs: readonly (ts.ResolvedProjectReference | undefined)[]): void => {
      for (const ref of refs) {
        if (ref === undefined) continue;
        for (const input of ref.commandLine.fileNames) {
          if (/\.d\.[cm]?ts$/.test(input)) continue;
          for (const output of tsi.getOutputFileNames(ref.commandLine, input, ignoreCase)) {
            if (/\.d\.[cm]?ts$/.test(output)) map.set(normalizePath(output), input);
          }
        }
        if (ref.references !== undefined) visit(ref.references);
      }
    };
    try {
      visit(references);
    } catch {
      // A reference that cannot be mapped leaves its classes recognised from their declarations only.
    }
    return map;
  }

  private symbolOf(expr: ts.Expression): ts.Symbol | undefined {
    const tsi = this.env.ts;
    const checker = this.env.checker!;
    const at = tsi.isPropertyAccessExpression(expr) ? expr.name : expr;
    let symbol: ts.Symbol | undefined;
    try {
      symbol = checker.getSymbolAtLocation(at);
    } catch {
      return undefined;
    }
    if (symbol !== undefined && symbol.flags & tsi.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    if (symbol === undefined || (symbol.declarations?.length ?? 0) === 0) return undefined;
    return symbol;
  }

  private resolveByChecker(callee: ts.Expression): RuntimeDecorator | undefined | "unresolved" {
    if (this.env.checker === undefined) return "unresolved";
    if (callee.pos < 0) return "unresolved";
    if (this.isParsedSource(callee)) return "unresolved";
    const symbol = this.symbolOf(callee);
    if (symbol === undefined) return "unresolved";
    const decl = symbol.declarations![0]!;
    if (!RUNTIME_FILE.test(decl.getSourceFile().fileName)) return undefined;
    return RUNTIME_DECORATORS.has(symbol.name) ? (symbol.name as RuntimeDecorator) : undefined;
  }

  private resolveBySyntax(callee: ts.Expression): RuntimeDecorator | undefined {
    const tsi = this.env.ts;
    const file = callee.getSourceFile();
    const table = this.importTable(file);
    let exported: string | undefined;
    if (tsi.isIdentifier(callee)) exported = table.named.get(callee.text);
    else if (tsi.isPropertyAccessExpression(callee) && tsi.isIdentifier(callee.expression) && table.namespaces.has(callee.expression.text)) {
      exported = callee.name.text;
    }
    return exported !== undefined && RUNTIME_DECORATORS.has(exported) ? (exported as RuntimeDecorator) : undefined;
  }

  private importTable(file: ts.SourceFile): ImportTable {
    let table = this.imports.get(file);
    if (table !== undefined) return table;
    const tsi = this.env.ts;
    const named = new Map<string, string>();
    const namespaces = new Set<string>();
    for (const statement of file.statements) {
      if (!tsi.isImportDeclaration(statement) || !tsi.isStringLiteral(statement.moduleSpecifier)) continue;
      if (statement.moduleSpecifier.text !== this.env.options.runtimeModule) continue;
      const bindings = statement.importClause?.namedBindings;
      if (bindings === undefined) continue;
      if (tsi.isNamespaceImport(bindings)) namespaces.add(bindings.name.text);
      else for (const element of bindings.elements) named.set(element.name.text, (element.propertyName ?? element.name).text);
    }
    table = { named, namespaces };
    this.imports.set(file, table);
    return table;
  }
}

function normalizePath(fileName: string): string {
  return fileName.replace(/\\/g, "/");
}

/** Strips parentheses, type assertions and `satisfies` around an expression. */
export function skipOuterExpressions(tsi: typeof ts, expr: ts.Expression): ts.Expression {
  let e = expr;
  for (;;) {
    if (tsi.isParenthesizedExpression(e) || tsi.isAsExpression(e) || tsi.isTypeAssertionExpression(e) || tsi.isNonNullExpression(e)) e = e.expression;
    else if (tsi.isSatisfiesExpression(e)) e = e.expression;
    else return e;
  }
}
