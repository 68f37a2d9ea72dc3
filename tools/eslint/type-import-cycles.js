// @ts-check
/**
 * `local/type-import-cycles`: import cycles that run through a type-only import.
 *
 * import-x/no-cycle skips `import type` by design (no runtime effect), so it cannot see a cycle one of whose imports
 * is a type import. Such a cycle still ties the modules together: neither can be moved, split or reasoned about
 * alone. This rule reports each type-only import (or `export type … from`) whose module leads back to the importing
 * file, through imports of any kind. Cycles of value imports alone are import-x/no-cycle's to report.
 *
 * The import graph is TypeScript's own: the type-aware program ESLint already built, its files' imports resolved as
 * the compiler resolves them (explicit `.ts` extensions included). Built once per program.
 */
import path from 'node:path';
import { ESLintUtils } from '@typescript-eslint/utils';
import ts from 'typescript';

/** @typedef {import('@typescript-eslint/utils').TSESTree.ImportDeclaration} ImportDeclaration */
/** @typedef {import('@typescript-eslint/utils').TSESTree.ExportNamedDeclaration} ExportNamedDeclaration */
/** @typedef {import('@typescript-eslint/utils').TSESTree.ExportAllDeclaration} ExportAllDeclaration */

/** @type {WeakMap<ts.Program, Map<string, Set<string>>>} file → the project files it imports */
const graphs = new WeakMap();

/** @param {ts.Program} program */
function importGraph(program) {
  let graph = graphs.get(program);
  if (graph) return graph;
  graph = new Map();
  const options = program.getCompilerOptions();
  for (const file of program.getSourceFiles()) {
    if (file.isDeclarationFile || program.isSourceFileFromExternalLibrary(file)) continue;
    /** @type {Set<string>} */
    const imported = new Set();
    for (const { fileName } of ts.preProcessFile(file.text, true, true).importedFiles) {
      const target = resolve(fileName, file.fileName, options);
      if (target) imported.add(target);
    }
    graph.set(path.resolve(file.fileName), imported);
  }
  graphs.set(program, graph);
  return graph;
}

/**
 * @param {string} specifier
 * @param {string} from
 * @param {ts.CompilerOptions} options
 * @returns {string | undefined} the project file `specifier` names, or undefined for a package or nothing
 */
function resolve(specifier, from, options) {
  const resolved = ts.resolveModuleName(specifier, from, options, ts.sys).resolvedModule;
  return resolved && !resolved.isExternalLibraryImport ? path.resolve(resolved.resolvedFileName) : undefined;
}

/**
 * The files from `start` to `goal` through the graph, both included, or undefined when there is no way.
 * @param {Map<string, Set<string>>} graph
 * @param {string} start
 * @param {string} goal
 */
function route(graph, start, goal) {
  /** @type {Map<string, string | null>} each file reached, and the file it was reached from */
  const cameFrom = new Map([[start, null]]);
  const queue = [start];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (file === goal) {
      const way = [];
      for (let at = /** @type {string | null} */ (file); at !== null; at = cameFrom.get(at) ?? null) way.unshift(at);
      return way;
    }
    for (const next of graph.get(file) ?? []) {
      if (!cameFrom.has(next)) {
        cameFrom.set(next, file);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/** @param {ImportDeclaration | ExportNamedDeclaration | ExportAllDeclaration} node */
function isTypeOnly(node) {
  if ('importKind' in node && node.importKind === 'type') return true;
  if ('exportKind' in node && node.exportKind === 'type') return true;
  const specifiers = 'specifiers' in node ? node.specifiers : [];
  return (
    specifiers.length > 0 &&
    specifiers.every((s) => ('importKind' in s ? s.importKind : 'exportKind' in s ? s.exportKind : '') === 'type')
  );
}

const rule = ESLintUtils.RuleCreator.withoutDocs({
  meta: {
    type: 'problem',
    messages: {
      cycle:
        'Import cycle through a type import: {{route}}. Declare the type where this module can import it ' +
        'without a way back.',
    },
    schema: [],
  },
  defaultOptions: [],
  create(context) {
    const { program } = ESLintUtils.getParserServices(context, true);
    if (!program) return {};
    const self = path.resolve(context.filename);
    /** @param {ImportDeclaration | ExportNamedDeclaration | ExportAllDeclaration} node */
    const check = (node) => {
      if (!node.source || !isTypeOnly(node)) return;
      const target = resolve(node.source.value, self, program.getCompilerOptions());
      if (!target || target === self) return;
      const way = route(importGraph(program), target, self);
      if (!way) return;
      const shown = [self, ...way].map((file) => path.relative(path.dirname(self), file));
      context.report({ node, messageId: 'cycle', data: { route: shown.join(' → ') } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check };
  },
});

export default { rules: { 'type-import-cycles': rule } };
