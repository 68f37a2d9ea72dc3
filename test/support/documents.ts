/**
 * Reading what the installer's sketch produces with tools nobody here wrote: PDF text through poppler's pdftotext
 * (Debian's poppler-utils, installed by .ci/run), SVG through Python's own XML parser (expat; python3 is already
 * needed for the API fuzz run). A missing tool fails the test naming what to install, never passes it quietly.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

function run(command: string, args: string[], input: string | undefined, install: string): string {
  const result = spawnSync(command, args, { input, encoding: 'utf8', timeout: 30_000, maxBuffer: 16 * 1024 * 1024 });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT')
    throw new Error(`${command} was not found: ${install}`);
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr}`);
  return result.stdout;
}

/** The text of a PDF as pdftotext extracts it (reading order, UTF-8). */
export function pdfText(pdf: Buffer): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ispbox-ozmap-pdf-'));
  try {
    const file = path.join(dir, 'sketch.pdf');
    writeFileSync(file, pdf);
    return run(
      'pdftotext',
      ['-enc', 'UTF-8', file, '-'],
      undefined,
      "install Debian's poppler-utils (apt-get install -y poppler-utils), as .ci/run does",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An XML element as Python's parser read it: its name, attributes, own text and children. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: XmlElement[];
}

const PARSE_XML = `
import json, sys
from xml.dom import minidom
def element(node):
    children = [c for c in node.childNodes if c.nodeType == c.ELEMENT_NODE]
    text = "".join(c.data for c in node.childNodes if c.nodeType in (c.TEXT_NODE, c.CDATA_SECTION_NODE))
    return {"name": node.tagName, "attributes": dict(node.attributes.items()), "text": text,
            "children": [element(c) for c in children]}
document = minidom.parseString(sys.stdin.buffer.read())
print(json.dumps(element(document.documentElement)))
`;

/** Parses `xml` with Python's XML parser (expat): throws when it is not well-formed XML. */
export function parseXml(xml: string): XmlElement {
  const out = run('python3', ['-c', PARSE_XML], xml, 'install Python 3 (apt-get install -y python3)');
  return JSON.parse(out) as XmlElement;
}

/** Every element of a tree, depth first. */
export const elementsOf = (root: XmlElement): XmlElement[] => [root, ...root.children.flatMap(elementsOf)];
