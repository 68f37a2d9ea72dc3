/**
 * Headless Chromium for page tests: Debian's package (no browser download, which the build machines cannot do),
 * driven by playwright-core.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const INSTALL_HINT = 'install it (as root: apt-get install -y chromium) or set CHROMIUM_PATH to its executable';

/** CHROMIUM_PATH, else `chromium` (or `chromium-browser`) on PATH. */
export function findChromium(): string {
  const configured = process.env.CHROMIUM_PATH?.trim();
  if (configured) {
    if (!isExecutable(configured))
      throw new Error(`CHROMIUM_PATH=${configured} is not an executable file: ${INSTALL_HINT}`);
    return configured;
  }
  for (const name of ['chromium', 'chromium-browser']) {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
      const candidate = path.join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  throw new Error(`Chromium was not found on PATH: ${INSTALL_HINT}`);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    // No sandbox: CI runs as root, where Chromium's sandbox refuses to start. No network chatter of its own.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 60_000,
  });
}
