import fs from 'node:fs';

/**
 * HTML to PDF with the station's Chromium (Debian's, never a downloaded browser): the page is
 * printed as A4 with its backgrounds, as the report's print CSS lays it out.
 */
export const CHROMIUM = '/usr/bin/chromium';

export class ChromiumMissingError extends Error {
  constructor(path: string) {
    super(
      `Chromium is needed to make a PDF but ${path} does not exist: install chromium: apt-get install chromium (the HTML report works without it)`,
    );
    this.name = 'ChromiumMissingError';
  }
}

export async function htmlToPdf(html: string, opts: { executablePath?: string; timeoutMs?: number } = {}): Promise<Buffer> {
  const executablePath = opts.executablePath ?? CHROMIUM;
  if (!fs.existsSync(executablePath)) throw new ChromiumMissingError(executablePath);
  const timeout = opts.timeoutMs ?? 60_000;
  let browser;
  try {
    // loaded on first use, not by every `fat` command
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'], timeout });
  } catch (e) {
    throw new Error(`Chromium at ${executablePath} did not start: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  try {
    const page = await browser.newPage();
    await page.setContent(html, { waitUntil: 'load', timeout });
    return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  } finally {
    await browser.close();
  }
}
