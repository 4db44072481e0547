// Headless Chromium for the real-browser tests: Debian's /usr/bin/chromium driven by
// playwright-core (Playwright cannot download its own browsers here). The test command
// installs Chromium first (scripts/ensure-chromium.mjs).
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Cleanup } from '@gotalk/test-kit';

/** Where Chromium is expected; CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * Launches headless Chromium with the flags this sandbox needs (no network beyond loopback),
 * plus `extraArgs` (e.g. `--host-resolver-rules=…` to point made-up names at 127.0.0.1).
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not at ${CHROMIUM_PATH}: run node scripts/ensure-chromium.mjs (apt-get install -y chromium)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ],
  });
}

/** What {@link useChromium} gives a test file. */
export interface ChromiumSession {
  /** Run after each test, once its pages are closed (servers the test started, say). */
  readonly cleanup: Cleanup;
  /** Opens a page, closed after the test that opened it. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
}

/**
 * One Chromium for a test file: launched before its tests (with `extraArgs`, see
 * {@link launchChromium}) and closed after them; each test's pages are closed after it, and
 * then its cleanup runs.
 */
export function useChromium(extraArgs: readonly string[] = []): ChromiumSession {
  let browser: Browser | undefined;
  const cleanup = new Cleanup();
  const pages: Page[] = [];
  beforeAll(async () => {
    browser = await launchChromium(extraArgs);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close();
    await cleanup.run();
  });
  return {
    cleanup,
    newPage: async (options) => {
      const page = await browser!.newPage(options);
      pages.push(page);
      return page;
    },
  };
}
