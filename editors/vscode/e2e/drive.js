// Drives VS Code (code-server) in headless Chromium with playwright-core: opens the
// .dlm file, runs the server's code action, checks the inserted text on disk, and
// takes the screenshot. Called by run.sh (which sets NODE_PATH to find playwright-core).
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) throw new Error(`missing --${name}`);
  return process.argv[i + 1];
}

const url = arg('url');
const file = arg('file');
const screenshot = arg('screenshot');
const artifacts = arg('artifacts');
const ACTION = 'Synthesize instructions for this section';

function step(message) {
  process.stderr.write(`[e2e] ${message}\n`);
}

async function editorText(page) {
  return page.$eval('.monaco-editor .view-lines', (el) => el.textContent.replace(/\u00a0/g, ' '));
}

async function clickLine(page, text) {
  const line = page.locator('.monaco-editor .view-line', { hasText: text }).first();
  // force: a leftover hover or "No code actions available" hint must not swallow the click
  await line.click({ position: { x: 60, y: 8 }, force: true });
}

async function openCodeActions(page) {
  // the server may still be starting: retry Ctrl+. until our action is listed
  for (let attempt = 0; attempt < 20; attempt++) {
    await clickLine(page, 'Certificates issued by the internal CA');
    await page.keyboard.press('Control+.');
    try {
      await page.locator('.action-widget', { hasText: ACTION }).waitFor({ state: 'visible', timeout: 3000 });
      return;
    } catch {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
  throw new Error(`the code action menu never listed “${ACTION}”`);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  try {
    step(`opening ${url}`);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 120000 });
    await page.waitForTimeout(3000);

    step('Ctrl+P example.dlm');
    await page.locator('.monaco-workbench').click({ position: { x: 640, y: 400 } });
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').waitFor({ timeout: 20000 });
    await page.keyboard.type('example.dlm');
    await page.waitForTimeout(1000);
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .view-line', { hasText: 'Rotating TLS certificates' }).waitFor({ timeout: 30000 });
    // the status bar shows the language mode once the grammar/language is active
    await page.locator('.statusbar', { hasText: 'DLM' }).waitFor({ timeout: 30000 });

    // the breadcrumb shows a server document symbol once the language server answers
    step('waiting for the language server (document symbols in the breadcrumb)');
    await page
      .locator('.monaco-breadcrumbs', { hasText: /frontmatter|Rotating TLS certificates/ })
      .waitFor({ timeout: 90000 });

    step('Ctrl+. on the prose');
    await openCodeActions(page);
    await page.screenshot({ path: path.join(artifacts, '1-code-action-menu.png') });

    step(`choosing “${ACTION}”`);
    // keyboard, not a click: the widget's pointer block swallows clicks in headless runs
    for (let i = 0; i < 10; i++) {
      const focused = await page.locator('.action-widget .monaco-list-row.focused').getAttribute('aria-label');
      if (focused === ACTION) break;
      await page.keyboard.press('ArrowDown');
    }
    await page.keyboard.press('Enter');
    await page.waitForTimeout(700);
    await page.screenshot({ path: path.join(artifacts, '2-synthesizing.png') });

    step('waiting for the inserted section');
    const deadline = Date.now() + 90000;
    while (!(await editorText(page)).includes('dlm-auto-synth')) {
      if (Date.now() > deadline) throw new Error('no dlm-auto-synth block was inserted within 90 s');
      await page.waitForTimeout(500);
    }
    await page.waitForTimeout(1000);

    step('saving and checking the file on disk');
    await page.keyboard.press('Control+S');
    let text = '';
    for (let i = 0; i < 40 && !text.includes('dlm-auto-synth'); i++) {
      await page.waitForTimeout(250);
      text = fs.readFileSync(file, 'utf8');
    }
    const source = text.indexOf('open connections are not dropped.');
    const block = text.slice(source, text.indexOf('::prose::'));
    const checks = [
      [/::instruction::\n<!-- dlm-auto-synth: [^\n]*synth_teacher="vllm-server:http:\/\/127\.0\.0\.1:\d+"/, 'fence + marker'],
      [/source_section_id="[0-9a-f]+"/, 'source_section_id'],
      [/### Q\n[^\n]+\n### A\n[^\n]*90 days/, 'a grounded Q/A pair'],
    ];
    for (const [re, what] of checks) {
      if (!re.test(block)) throw new Error(`inserted text lacks ${what}:\n${block}`);
    }
    fs.writeFileSync(path.join(artifacts, 'result.dlm'), text);

    step('screenshot: code action menu over the inserted block');
    await page.keyboard.press('Control+Home');
    await openCodeActions(page);
    await page.waitForTimeout(500);
    fs.mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot });
    const inserted = (block.match(/::instruction::/g) || []).length;

    step('palette: DLM: Synthesize instructions for document, then Cancel on its notification');
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').waitFor({ timeout: 10000 });
    await page.keyboard.type('DLM: Synthesize instructions for document');
    await page.waitForTimeout(800);
    await page.keyboard.press('Enter');
    const toast = page.locator('.notification-toast', { hasText: 'synthesizing instructions for the document' });
    await toast.waitFor({ timeout: 15000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(artifacts, '3-progress-notification.png') });
    await toast.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await page.locator('.notification-toast', { hasText: 'DLM: synthesis cancelled' }).waitFor({ timeout: 10000 });
    await page.screenshot({ path: path.join(artifacts, '4-cancelled.png') });
    await page.waitForTimeout(4000); // longer than the fake teacher's latency: a late edit would show
    const after = await editorText(page);
    const count = (after.match(/::instruction::/g) || []).length;
    if (count !== inserted) throw new Error(`Cancel did not stop the job: ${count} instruction fences, expected ${inserted}`);

    step(`PASS: ${inserted} synthesized section(s) inserted by the code action; the palette run was cancelled with no edit; screenshot ${screenshot}`);
  } catch (error) {
    await page.screenshot({ path: path.join(artifacts, 'failure.png') }).catch(() => undefined);
    throw error;
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  process.stderr.write(`[e2e] FAIL: ${error.stack || error}\n`);
  process.exit(1);
});
