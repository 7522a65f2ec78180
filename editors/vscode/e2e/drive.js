// Drives VS Code (code-server) in headless Chromium with playwright-core, in two parts.
//
// Part 1, the first run as a newcomer meets it (no dlmSynth setting at all): the .dlm
// file opens, the language status item says which teacher and filter a synthesis would
// use (the server's defaults: the bundled offline model, grounded), Ctrl+. on a prose
// paragraph runs the server's code action under a notification with Cancel, one result
// message offers Review / Undo, the "N synthesized pairs" lens opens the pick list, and
// "Open settings" lands on the extension's settings.
//
// Part 2, the fake teacher (dlmSynth.teacher typed into the Settings UI, as a user
// sets it): a job slow enough and predictable enough to cancel, from the palette.
//
// Checks the text on disk and takes the screenshots. Called by run.sh (which sets
// NODE_PATH to find playwright-core).
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
const images = arg('images');
const artifacts = arg('artifacts');
const fakeTeacher = arg('fake-teacher');
const ACTION = 'Synthesize instructions for this section';
const PROSE = 'Certificates issued by the internal CA';
// the bundled offline model on a shared 2-core machine: ~10–60 s per section, plus
// loading it (seconds once assembled; a newcomer's very first use assembles 1.1 GB)
const MODEL_JOB_MS = 300000;
const started = Date.now();

function step(message) {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[e2e ${t}s] ${message}\n`);
}

async function clickLine(page, text) {
  const line = page.locator('.monaco-editor .view-line', { hasText: text }).first();
  // force: a leftover hover or "No code actions available" hint must not swallow the click
  await line.click({ position: { x: 60, y: 8 }, force: true });
}

async function shot(page, name) {
  const target = path.join(images, name);
  await page.screenshot({ path: target });
  step(`screenshot ${target}`);
}

async function openCodeActions(page) {
  // the server may still be starting: retry Ctrl+. until our action is listed
  for (let attempt = 0; attempt < 20; attempt++) {
    await clickLine(page, PROSE);
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

async function chooseAction(page, title) {
  // keyboard, not a click: the widget's pointer block swallows clicks in headless runs
  for (let i = 0; i < 12; i++) {
    const focused = await page.locator('.action-widget .monaco-list-row.focused').getAttribute('aria-label');
    if (focused === title) break;
    await page.keyboard.press('ArrowDown');
  }
  await page.keyboard.press('Enter');
}

function toast(page, text) {
  return page.locator('.notification-toast', { hasText: text });
}

async function palette(page, command) {
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget input').waitFor({ timeout: 10000 });
  await page.keyboard.type(command);
  await page.waitForTimeout(800);
  await page.keyboard.press('Enter');
}

async function openFile(page) {
  const opened = page.locator('.monaco-editor .view-line', { hasText: 'Rotating TLS certificates' });
  for (let attempt = 0; attempt < 5; attempt++) {
    await page.locator('.monaco-workbench').click({ position: { x: 640, y: 400 } });
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').waitFor({ timeout: 20000 });
    await page.keyboard.type('example.dlm');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'example.dlm' }).first().waitFor({ timeout: 20000 });
    await page.waitForTimeout(500);
    await page.keyboard.press('Enter');
    if (await opened.first().waitFor({ timeout: 15000 }).then(() => true, () => false)) return;
    await page.keyboard.press('Escape');
  }
  await opened.first().waitFor({ timeout: 30000 });
}

/** Opens the language status hover until its text matches `want`; returns that text. */
async function languageStatus(page, want) {
  const item = page.locator('#status\\.languageStatus, .statusbar-item[id="status.languageStatus"]').first();
  let text = '';
  for (let i = 0; i < 30; i++) {
    await item.click();
    const hover = page.locator('.hover-language-status');
    await hover.first().waitFor({ timeout: 5000 }).catch(() => undefined);
    text = (await hover.allTextContents()).join(' ');
    if (want.test(text)) return text;
    await page.keyboard.press('Escape');
    await page.waitForTimeout(1000);
  }
  throw new Error(`the status item does not show ${want}: ${text}`);
}

async function saved(page, check) {
  await page.keyboard.press('Control+S');
  let text = '';
  for (let i = 0; i < 40; i++) {
    await page.waitForTimeout(250);
    text = fs.readFileSync(file, 'utf8');
    if (check(text)) break;
  }
  return text;
}

async function closeToasts(page) {
  for (const close of await page.locator('.notification-toast .codicon-notifications-clear').all()) {
    await close.click({ force: true }).catch(() => undefined);
  }
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  try {
    step(`opening ${url}`);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 120000 });
    await page.waitForTimeout(3000);

    step('PART 1 — the first run: no dlmSynth setting, the teacher and filter the server resolves by default');
    step('Ctrl+P example.dlm');
    await openFile(page);
    await page.locator('.statusbar', { hasText: 'DLM' }).waitFor({ timeout: 30000 });

    step('the server starts by itself (found in the workspace .venv): document symbols in the breadcrumb');
    await page.locator('.monaco-breadcrumbs', { hasText: /frontmatter|Rotating TLS certificates/ }).waitFor({ timeout: 90000 });

    step('code lenses are on: "Synthesize instructions" above the prose');
    await page.locator('.codelens-decoration', { hasText: 'Synthesize instructions' }).first().waitFor({ timeout: 30000 });

    step('the language status item: server, teacher and filter (the bundled offline model, grounded)');
    const statusText = await languageStatus(page, / · grounded \(auto\)/);
    if (!/local:qwen2\.5-coder-1\.5b \(auto\) · grounded \(auto\)/.test(statusText)) {
      throw new Error(`the status item does not show the bundled offline teacher resolved from auto: ${statusText}`);
    }
    if (!/dlm-synth [\d.]+\s*server from \.venv/.test(statusText)) throw new Error(`the status item does not say where the server came from: ${statusText}`);
    await shot(page, 'vscode-first-run-status.png');
    await page.keyboard.press('Escape');

    step('Ctrl+. on the prose → the server’s code action');
    await openCodeActions(page);
    await page.screenshot({ path: path.join(artifacts, '1-code-action-menu.png') });
    await chooseAction(page, ACTION);
    const jobStart = Date.now();

    step('a notification with Cancel and the server’s step');
    const progress = toast(page, 'Synthesizing instructions');
    await progress.waitFor({ timeout: 15000 });
    await progress.locator('.monaco-button', { hasText: 'Cancel' }).waitFor({ timeout: 5000 });
    await page.waitForTimeout(400);
    await shot(page, 'vscode-first-run-progress.png');

    step('one result message: counts, the section by title and line, Review / Undo');
    const result = toast(page, 'dlm-synth: Inserted');
    await result.waitFor({ timeout: MODEL_JOB_MS });
    step(`the bundled model's job took ${((Date.now() - jobStart) / 1000).toFixed(1)} s (code action to result message)`);
    const resultText = (await result.textContent()) || '';
    if (!/Inserted \d+ synthesized pairs? for “Rotating TLS certificates” \(line \d+\)/.test(resultText)) {
      throw new Error(`unexpected result message: ${resultText}`);
    }
    for (const button of ['Review', 'Undo']) {
      await result.locator('.monaco-button', { hasText: button }).first().waitFor({ timeout: 5000 });
    }
    await page.waitForTimeout(500);
    await shot(page, 'vscode-first-run-result.png');

    step('the text on disk');
    await clickLine(page, 'Rotating TLS certificates');
    let text = await saved(page, (t) => t.includes('dlm-auto-synth'));
    const source = text.indexOf('open connections are not dropped.');
    const block = text.slice(source, text.indexOf('::prose::'));
    const checks = [
      [/::instruction::\n<!-- dlm-auto-synth: [^\n]*synth_teacher="local:qwen2\.5-coder-1\.5b"/, 'fence + marker naming the bundled model'],
      [/source_section_id="[0-9a-f]+"/, 'source_section_id'],
      [/### Q\n[^\n]+\n### A\n[^\n]+/, 'a Q/A pair'],
    ];
    for (const [re, what] of checks) {
      if (!re.test(block)) throw new Error(`inserted text lacks ${what}:\n${block}`);
    }
    fs.writeFileSync(path.join(artifacts, 'result.dlm'), text);
    const inserted = (block.match(/::instruction::/g) || []).length;

    step('the "N synthesized pairs" lens opens the list of that section');
    await closeToasts(page);
    await page.keyboard.press('Control+Home');
    const lens = page.locator('.codelens-decoration a', { hasText: /^\d+ synthesized pairs?$/ }).first();
    await lens.waitFor({ timeout: 30000 });
    await lens.click();
    const pick = page.locator('.quick-input-widget', { hasText: 'from this section' });
    await pick.waitFor({ timeout: 10000 });
    const rows = await pick.locator('.quick-input-list .monaco-list-row').count();
    if (rows < inserted) throw new Error(`the list shows ${rows} rows, ${inserted} sections were inserted`);
    await page.waitForTimeout(300);
    await shot(page, 'vscode-first-run-lens-list.png');
    await page.keyboard.press('Escape');

    step('the code action menu over the inserted sections (the README picture)');
    await openCodeActions(page);
    await page.waitForTimeout(500);
    await shot(page, 'vscode-synthesize.png');
    await page.keyboard.press('Escape');

    step('the status item’s menu: Open settings lands on the extension’s settings');
    await closeToasts(page);
    await palette(page, 'DLM: Show server status and actions');
    await page.locator('.quick-input-widget', { hasText: 'Open settings' }).waitFor({ timeout: 10000 });
    await page.keyboard.type('Open settings');
    await page.waitForTimeout(300);
    await page.keyboard.press('Enter');
    const settings = page.locator('.settings-editor');
    await settings.waitFor({ timeout: 20000 });
    await page.locator('.settings-editor .setting-item', { hasText: 'Teacher' }).first().waitFor({ timeout: 20000 });
    const contributed = Object.keys(JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).contributes.configuration.properties).length;
    const found = (await page.locator('.settings-editor .settings-count-widget').textContent()) || '';
    if (found.trim() !== `${contributed} Settings Found`) {
      throw new Error(`the settings opened show “${found.trim()}”, the extension contributes ${contributed}`);
    }
    await page.waitForTimeout(500);
    await shot(page, 'vscode-first-run-settings.png');
    // the settings that used to be string-or-null have an input box now
    await page.locator('.settings-editor .suggest-input-container textarea, .settings-editor .settings-header input').first().fill('dlmSynth.server.path').catch(async () => {
      await page.keyboard.press('Control+A');
      await page.keyboard.type('dlmSynth.server.path');
    });
    const serverPath = page.locator('.settings-editor .setting-item', { hasText: 'Path of the' }).first();
    await serverPath.waitFor({ timeout: 10000 });
    if (!(await serverPath.locator('input').count())) throw new Error('dlmSynth.server.path has no input box');
    await page.screenshot({ path: path.join(artifacts, '5-server-path.png') });
    // every setting has its own editor, the number-or-null ones included
    const search = page.locator('.settings-editor .suggest-input-container textarea').first();
    for (const key of ['threshold', 'maxPairs', 'topP', 'seed', 'threads', 'dlmHome']) {
      await search.fill(`dlmSynth.${key}`);
      await page.waitForTimeout(800);
      const row = page.locator('.settings-editor .setting-item-contents').first();
      await row.waitFor({ timeout: 10000 });
      const editors = await row.locator('input').count();
      const jsonOnly = await row.locator('.edit-in-settings-button').count();
      if (!editors || jsonOnly) throw new Error(`dlmSynth.${key} has no input box in the Settings UI`);
    }

    step('PART 2 — the fake teacher, where a job must be slow and predictable: dlmSynth.teacher typed into the Settings UI');
    await search.fill('dlmSynth.teacher');
    await page.waitForTimeout(800);
    const teacherRow = page.locator('.settings-editor .setting-item-contents', { hasText: 'Teacher' }).first();
    await teacherRow.waitFor({ timeout: 10000 });
    await teacherRow.locator('input').first().fill(`vllm-server:${fakeTeacher}`);
    await page.keyboard.press('Enter');
    await openFile(page);
    await languageStatus(page, /vllm-server:127\.0\.0\.1:\d+ · grounded \(auto\)/);
    // the hover opened by a click stays until the pointer goes elsewhere; it would cover the toasts
    await page.keyboard.press('Escape');
    await clickLine(page, 'Rotating TLS certificates');
    await page.locator('.hover-language-status').first().waitFor({ state: 'hidden', timeout: 10000 });

    step('palette: DLM: Synthesize instructions for document, then Cancel on its notification');
    await palette(page, 'DLM: Synthesize instructions for document');
    const documentJob = toast(page, 'Synthesizing instructions for the document');
    await documentJob.waitFor({ timeout: 15000 });
    await page.waitForTimeout(800); // the job has begun: Cancel goes through its progress token
    await documentJob.locator('.monaco-button', { hasText: 'Cancel' }).click();
    const cancelled = toast(page, 'dlm-synth: Synthesis cancelled');
    await cancelled.waitFor({ timeout: 15000 });
    await page.screenshot({ path: path.join(artifacts, '4-cancelled.png') });
    await page.waitForTimeout(4000); // longer than the fake teacher's latency: a late edit would show
    await page.keyboard.press('Control+S');
    await page.waitForTimeout(2000);
    text = fs.readFileSync(file, 'utf8');
    const count = (text.match(/::instruction::/g) || []).length;
    if (count !== inserted) throw new Error(`Cancel did not stop the job: ${count} instruction fences, expected ${inserted}`);

    step(`PASS: part 1: ${inserted} synthesized section(s) inserted by the code action with no dlmSynth setting (bundled offline model, grounded), the lens listed them, the settings opened; part 2 (fake teacher): the palette run was cancelled with no edit; screenshots in ${images}`);
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
