/**
 * The per-file transformation: finds class nodes (declarations and expressions, nested anywhere),
 * analyses each, rewrites the mapped ones and adds one namespace import of the runtime to files
 * that got a rewrite. User mistakes become diagnostics and leave their class as written (its
 * `@mapped` decorator then runs the runtime path); an unexpected exception becomes one
 * diagnostic naming the file, which is emitted unchanged. Nothing escapes to the compiler.
 */
import type * as ts from "typescript";
import { analyzeClass } from "./analyze.js";
import type { ClassLike, TransformEnv } from "./context.js";
import { Detector } from "./detect.js";
import { Messages, problem } from "./diagnostics.js";
import { emitMappedClass } from "./emit-class.js";
import type { EmitScope } from "./emit-constructor.js";

/** The transformer factory: one closure per compilation, one walk per file. */
export function transformMappedClasses(env: TransformEnv): ts.TransformerFactory<ts.SourceFile> {
  const detector = new Detector(env);
  return (context) => (file) => {
    if (file.isDeclarationFile || !mayContainClasses(file)) return file;
    try {
      return transformFile(env, detector, context, file);
    } catch (error) {
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      env.report(file, problem(Messages.internalError, undefined, file.fileName, detail));
      return file;
    }
  };
}

/** Cheap bail-out: a file without the word `class` has no class to rewrite. */
function mayContainClasses(file: ts.SourceFile): boolean {
  return file.text.includes("class");
}

function transformFile(env: TransformEnv, detector: Detector, context: ts.TransformationContext, file: ts.SourceFile): ts.SourceFile {
  const tsi = env.ts;
  const f = tsi.factory;
  const runtime = f.createUniqueName("ci");
  let rewrites = 0;

  const visitor = (node: ts.Node): ts.VisitResult<ts.Node> => {
    if (tsi.isClassDeclaration(node) || tsi.isClassExpression(node)) return visitClass(node);
    return tsi.visitEachChild(node, visitor, context);
  };
  const scope: EmitScope = {
    ts: tsi,
    context,
    runtime,
    visit: <T extends ts.Node>(node: T): T => tsi.visitNode(node, visitor) as T,
  };
  const visitClass = (node: ClassLike): ts.Node => {
    const analysis = analyzeClass(env, detector, node);
    for (const p of analysis.problems) env.report(file, p);
    if (!analysis.mapped || analysis.info === undefined) return tsi.visitEachChild(node, visitor, context);
    rewrites++;
    return emitMappedClass(scope, analysis.info);
  };

  const visited = tsi.visitEachChild(file, visitor, context);
  if (rewrites === 0) return visited;
  return f.updateSourceFile(visited, insertImport(tsi, visited.statements, runtime, env.options.runtimeModule));
}

/** Adds `import * as ci from "<runtime>"` after the prologue directives. */
function insertImport(tsi: typeof ts, statements: readonly ts.Statement[], runtime: ts.Identifier, moduleName: string): ts.Statement[] {
  const f = tsi.factory;
  const declaration = f.createImportDeclaration(
    undefined,
    f.createImportClause(false, undefined, f.createNamespaceImport(runtime)),
    f.createStringLiteral(moduleName),
  );
  let at = 0;
  while (at < statements.length && isPrologueDirective(tsi, statements[at]!)) at++;
  return [...statements.slice(0, at), declaration, ...statements.slice(at)];
}

function isPrologueDirective(tsi: typeof ts, statement: ts.Statement): boolean {
  return tsi.isExpressionStatement(statement) && tsi.isStringLiteral(statement.expression);
}
