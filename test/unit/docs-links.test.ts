/**
 * The documentation's links hold: every relative link in the project's Markdown names a file that exists and, with
 * `#anchor`, a heading of that file (GitHub's slugs); every citation of a page's section in the docs and the code
 * (`docs/architecture.md, "Invariants"`, `README "…"`) names a heading of that page. And the README stays the front
 * door: at most 220 lines, linking every page of docs/.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const README_MAX_LINES = 220;

/** Folders never searched: installed packages, build and test output, tool caches, git itself. */
const SKIPPED = new Set(['node_modules', 'dist', 'test-results', 'test-artifacts']);

function filesUnder(dir: string, wanted: (name: string) => boolean): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name.startsWith('.') || SKIPPED.has(entry.name) ? [] : filesUnder(relative, wanted);
    return wanted(entry.name) ? [relative] : [];
  });
}

const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** GitHub's heading anchors (github-slugger): lower-case, punctuation and symbols dropped, each space a hyphen. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** A heading's text as GitHub renders it: links become their text, code spans and emphasis lose their marks. */
function plainText(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .split(/(`[^`]*`)/)
    .map((part, i) =>
      i % 2 === 1
        ? part.slice(1, -1)
        : part.replace(/(\*\*|\*)(\S(?:.*?\S)?)\1/g, '$2').replace(/(?<!\w)(__?)(\S(?:.*?\S)?)\1(?!\w)/g, '$2'),
    )
    .join('')
    .trim();
}

/** The Markdown outside fenced code blocks, line by line (fences are where headings and links are not). */
function proseLines(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker) {
      fence = marker;
      return '';
    }
    if (fence !== undefined) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker)
        fence = undefined;
      return '';
    }
    return line;
  });
}

/** Every anchor a Markdown file offers: its ATX headings' slugs, repeated ones numbered as GitHub does. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of proseLines(markdown)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(plainText(heading));
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Inline links and images `[text](target "title")`, and reference definitions `[id]: target`, outside code. */
function linksOf(markdown: string): Array<{ line: number; target: string }> {
  const links: Array<{ line: number; target: string }> = [];
  proseLines(markdown).forEach((text, index) => {
    const prose = text.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g))
      links.push({ line: index + 1, target: match[1]! });
    const definition = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(prose);
    if (definition) links.push({ line: index + 1, target: definition[1]! });
  });
  return links;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

const anchorCache = new Map<string, Set<string>>();
const anchorsOfFile = (file: string) => {
  if (!anchorCache.has(file)) anchorCache.set(file, anchorsOf(read(file)));
  return anchorCache.get(file)!;
};

/** What is wrong with `target` as written in `from`, or undefined when it leads somewhere. */
function brokenLink(from: string, target: string): string | undefined {
  const [pathPart = '', anchor] = target.split('#', 2);
  const file =
    pathPart === '' ? from : path.posix.normalize(path.posix.join(path.posix.dirname(from), decodeURI(pathPart)));
  if (file.startsWith('../') || !existsSync(path.join(root, file))) return `no file ${file}`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(path.join(root, file)).isDirectory() || !file.endsWith('.md'))
    return `#${anchor} on ${file}, not a page`;
  return anchorsOfFile(file).has(decodeURIComponent(anchor)) ? undefined : `no heading #${anchor} in ${file}`;
}

/**
 * Citations of a section in prose and comments: `docs/architecture.md, "Invariants" 3`, `README "…"`,
 * `bench/README.md, "Settings chosen"`. Paths are from the project's root; a bare README is the root one.
 */
function citationsOf(text: string): Array<{ line: number; file: string; heading: string }> {
  const citations: Array<{ line: number; file: string; heading: string }> = [];
  text.split('\n').forEach((line, index) => {
    for (const match of line.matchAll(/(?<![\w/.-])((?:[\w-]+\/)*[\w-]+\.md|README),? "([^"]+)"/g)) {
      const file = match[1] === 'README' ? 'README.md' : match[1]!;
      citations.push({ line: index + 1, file, heading: match[2]! });
    }
  });
  return citations;
}

const markdownFiles = filesUnder('.', (name) => name.endsWith('.md'));
const sourceFiles = filesUnder('.', (name) => /\.(ts|js|mjs|cjs|yml|yaml|py|sh|html|css)$/.test(name)).filter(
  (file) => file !== 'test/unit/docs-links.test.ts',
);

describe('documentation links', () => {
  it('finds the pages it is meant to check', () => {
    for (const page of ['README.md', 'bench/README.md', 'docs/architecture.md', 'docs/development.md'])
      assert.ok(markdownFiles.includes(page), `${page} is checked`);
  });

  it('slugs headings as GitHub does', () => {
    assert.equal(slug(plainText('Before the first sale')), 'before-the-first-sale');
    assert.equal(slug(plainText('Ports of `start:cluster`')), 'ports-of-startcluster');
    assert.equal(slug(plainText('Upgrades: Worker Deployments')), 'upgrades-worker-deployments');
    assert.equal(slug(plainText('Ispbox 2 ⇄ OZmap port reservations')), 'ispbox-2--ozmap-port-reservations');
    assert.equal(
      slug(plainText('The client: `ozres` CLI and TypeScript library')),
      'the-client-ozres-cli-and-typescript-library',
    );
    assert.equal(slug(plainText('client/')), 'client');
    assert.equal(slug(plainText('Settle_rounds and **Bounds**')), 'settle_rounds-and-bounds');
    assert.equal(slug(plainText('`WORKER_MAX_CACHED_WORKFLOWS` and _this_')), 'worker_max_cached_workflows-and-this');
    assert.deepEqual([...anchorsOf('# A\n## Notes\n```\n# not a heading\n```\n## Notes\n')], ['a', 'notes', 'notes-1']);
  });

  it('reports a link to a missing file or heading', () => {
    assert.equal(brokenLink('docs/security.md', 'architecture.md#invariants'), undefined);
    assert.equal(
      brokenLink('docs/security.md', 'architecture.md#no-such-heading'),
      'no heading #no-such-heading in docs/architecture.md',
    );
    assert.equal(brokenLink('README.md', 'docs/no-such-page.md'), 'no file docs/no-such-page.md');
    assert.deepEqual(
      linksOf('See [a](a.md#b "t"), ![c](c.png), `[not](code.md)` and\n[d]: <d.md>\n```\n[e](e.md)\n```').map(
        (l) => l.target,
      ),
      ['a.md#b', 'c.png', 'd.md'],
    );
  });

  it('every relative link leads to a file, and its #anchor to a heading there', () => {
    const broken = markdownFiles.flatMap((file) =>
      linksOf(read(file))
        .filter(({ target }) => !isExternal(target))
        .flatMap(({ line, target }) => {
          const problem = brokenLink(file, target);
          return problem ? [`${file}:${line}: (${target}): ${problem}`] : [];
        }),
    );
    assert.deepEqual(broken, []);
  });

  it('every section cited as docs/<page>.md, "Heading" is a heading of that page', () => {
    const broken = [...markdownFiles, ...sourceFiles].flatMap((file) =>
      citationsOf(read(file)).flatMap(({ line, file: cited, heading }) => {
        // From the project's root, as code cites; a page may also cite a page beside it.
        const page = [cited, path.posix.join(path.posix.dirname(file), cited)].find((p) =>
          existsSync(path.join(root, p)),
        );
        if (page === undefined) return [`${file}:${line}: cites ${cited}, which does not exist`];
        return anchorsOfFile(page).has(slug(heading))
          ? []
          : [`${file}:${line}: cites "${heading}", no heading of ${page}`];
      }),
    );
    assert.deepEqual(broken, []);
  });

  it(`README is at most ${README_MAX_LINES} lines and links every page of docs/`, () => {
    const readme = read('README.md');
    const lines = readme.split('\n').length - (readme.endsWith('\n') ? 1 : 0);
    assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines; keep it to ${README_MAX_LINES}`);
    const linked = new Set(
      linksOf(readme)
        .map(({ target }) => target.split('#')[0]!)
        .filter((target) => !isExternal(target))
        .map((target) => path.posix.normalize(target)),
    );
    const pages = markdownFiles.filter((file) => /^docs\/[^/]+\.md$/.test(file));
    assert.deepEqual(
      pages.filter((page) => !linked.has(page)),
      [],
      'every docs/ page is linked from README.md',
    );
  });
});
