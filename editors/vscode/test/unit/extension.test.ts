import { dlmEditor, lc, manifest, resetFakes, ROOT, vs } from './helpers';
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { beforeEach, test } from 'node:test';
import * as vscode from 'vscode';
import { activate, deactivate } from '../../src/extension';
import { ServerCommand } from '../../src/protocol';
import { PaletteCommand } from '../../src/serverIds';

beforeEach(resetFakes);

function context(): vscode.ExtensionContext {
  return { subscriptions: [] as vscode.Disposable[] } as unknown as vscode.ExtensionContext;
}

test('activate registers every palette command and starts the client from dlmSynth.server.path', async () => {
  // any existing executable will do: the fake client never spawns it
  vs.settings.global.set('dlmSynth.server.path', process.execPath);
  const ctx = context();
  await activate(ctx);
  const ids = manifest.contributes.commands.map((c: any) => c.command).sort();
  assert.deepEqual([...vs.registeredCommands.keys()].sort(), ids);
  const client = lc.clients[0]!;
  assert.ok(client.started);
  assert.equal(client.serverOptions.run.command, process.execPath);
  assert.deepEqual(client.serverOptions.run.args, ['--stdio']);
  await deactivate();
  assert.ok(client.stopped);
  for (const d of ctx.subscriptions) d.dispose();
});

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

test('the language status item of .dlm editors shows what the server resolved, and updates', async () => {
  vs.settings.global.set('dlmSynth.server.path', process.execPath);
  const status = {
    serverVersion: '0.3.0',
    teacher: 'vllm-server:http://127.0.0.1:8000',
    teacherSetting: 'vllm-server:http://127.0.0.1:8000',
    filter: 'grounded',
    filterSetting: 'grounded',
    problem: null,
    reachable: null,
    jobs: [],
  };
  const asked: any[] = [];
  lc.server.handler = async (req) => {
    if (req.params.command === 'dlm-synth.status') {
      asked.push(req.params.arguments[0]);
      return status;
    }
    return null;
  };
  vs.window.activeTextEditor = dlmEditor([0, 0]);
  const ctx = context();
  await activate(ctx);
  const [server, item] = vs.recorded.statusItems;
  assert.deepEqual([server.id, item.id], ['dlmSynth.server', 'dlmSynth.synthesis']);
  assert.deepEqual(item.selector, { language: 'dlm' });
  await tick(250);
  assert.deepEqual(asked, [{ uri: 'file:///ws/doc.dlm' }]);
  assert.equal(item.text, '$(sparkle) vllm-server:127.0.0.1:8000 · grounded');
  assert.equal(server.text, 'dlm-synth 0.3.0');
  assert.equal(server.detail, 'server from dlmSynth.server.path');
  // switching editors and changing settings ask again
  vs.window.switchEditor(dlmEditor([1, 0]));
  await tick(250);
  status.filter = 'dedup-only';
  vs.workspace.fireConfigurationChange(['dlmSynth.filter']);
  await tick(250);
  assert.equal(asked.length, 3);
  assert.equal(item.text, '$(sparkle) vllm-server:127.0.0.1:8000 · dedup-only');
  await deactivate();
  for (const d of ctx.subscriptions) d.dispose();
});

test('a code action command runs through the palette flow (notification with Cancel, one message)', async () => {
  vs.settings.global.set('dlmSynth.server.path', process.execPath);
  lc.server.handler = async (req) =>
    req.params.command === 'dlm-synth.synthesize'
      ? { status: 'applied', message: { severity: 'info', text: 'Inserted 2 synthesized pairs (2 accepted, 0 rejected, 2 inserted).', details: [], actions: [] } }
      : null;
  const ctx = context();
  await activate(ctx);
  const middleware = lc.clients[0]!.clientOptions.middleware;
  let sentDirectly = false;
  await middleware.executeCommand('dlm-synth.synthesize', [{ uri: 'file:///ws/doc.dlm', sectionId: 's' }], async () => {
    sentDirectly = true;
  });
  assert.equal(sentDirectly, false);
  assert.equal(vs.recorded.progress[0]!.options.cancellable, true);
  assert.ok(vs.recorded.messages.some((m) => m.text === 'dlm-synth: Inserted 2 synthesized pairs (2 accepted, 0 rejected, 2 inserted).'));
  // revealSource only shows a document: it goes straight to the server
  await middleware.executeCommand('dlm-synth.revealSource', [{ uri: 'file:///ws/doc.dlm', sectionId: 's' }], async () => {
    sentDirectly = true;
  });
  assert.equal(sentDirectly, true);
  await deactivate();
  for (const d of ctx.subscriptions) d.dispose();
});

test('changing dlmSynth.server.path offers a restart', async () => {
  vs.settings.global.set('dlmSynth.server.path', process.execPath);
  const ctx = context();
  await activate(ctx);
  vs.script.messageAnswers.push('Restart');
  vs.workspace.fireConfigurationChange(['dlmSynth.server.path']);
  await tick(10);
  assert.match(vs.recorded.messages[0]!.text, /^dlm-synth: restart the language server/);
  assert.equal(lc.clients.length, 2);
  await deactivate();
  for (const d of ctx.subscriptions) d.dispose();
});

test('a server that was not found is started as soon as dlmSynth.server.path is set (no question)', async () => {
  vs.settings.global.set('dlmSynth.server.path', '/nowhere/dlm-synth-lsp');
  const ctx = context();
  await activate(ctx);
  assert.equal(lc.clients.length, 0);
  vs.settings.global.set('dlmSynth.server.path', process.execPath);
  vs.workspace.fireConfigurationChange(['dlmSynth.server.path']);
  await tick(10);
  assert.equal(lc.clients.length, 1);
  assert.ok(lc.clients[0]!.started);
  await deactivate();
  for (const d of ctx.subscriptions) d.dispose();
});

test('the Python extension: its selected interpreter starts the server; selecting another offers a restart', async () => {
  let listener: (() => void) | undefined;
  const python = process.execPath; // "can import" is probed for real: node fails it, so PATH is next
  vs.installedExtensions.set('ms-python.python', {
    isActive: true,
    exports: {
      environments: {
        getActiveEnvironmentPath: () => ({ id: 'x', path: python }),
        resolveEnvironment: async () => ({ executable: { uri: vs.Uri.file(python) } }),
        onDidChangeActiveEnvironmentPath: (l: () => void) => {
          listener = l;
          return { dispose: () => undefined };
        },
      },
    },
  });
  vs.settings.global.set('dlmSynth.server.path', process.execPath);
  const ctx = context();
  await activate(ctx);
  assert.ok(listener, 'listens for interpreter changes');
  vs.script.messageAnswers.push('Restart');
  listener!();
  await tick(10);
  assert.match(vs.recorded.messages[0]!.text, /interpreter now selected in the Python extension/);
  assert.equal(lc.clients.length, 2);
  await deactivate();
  for (const d of ctx.subscriptions) d.dispose();
});

test('granting workspace trust restarts the server (workspace values may now apply)', async () => {
  vs.settings.global.set('dlmSynth.server.path', process.execPath);
  vs.workspace.isTrusted = false;
  const ctx = context();
  await activate(ctx);
  vs.workspace.grantTrust();
  await tick(10);
  assert.equal(lc.clients.length, 2);
  await deactivate();
  for (const d of ctx.subscriptions) d.dispose();
});

test('package.json: palette commands are in category DLM, shown only for dlm editors, ids differ from the server', () => {
  const contributed = manifest.contributes.commands;
  assert.deepEqual(contributed.map((c: any) => c.command).sort(), Object.values(PaletteCommand).sort());
  for (const c of contributed) {
    assert.equal(c.category, 'DLM');
    assert.ok(!Object.values<string>(ServerCommand).includes(c.command), `${c.command} is a server id`);
  }
  const palette = manifest.contributes.menus.commandPalette;
  assert.deepEqual(palette.map((m: any) => m.command).sort(), Object.values(PaletteCommand).sort());
  for (const m of palette) assert.equal(m.when, 'editorLangId == dlm');
  assert.deepEqual(
    contributed.map((c: any) => c.title),
    [
      'Synthesize instructions for section at cursor',
      'Synthesize instructions for document',
      'Revert synthesized instructions',
      'List synthesized instructions',
      'Cancel synthesis',
      'Apply staged instructions',
      'Review synthesized pairs',
      'Restart server',
      'Show server status and actions',
    ],
  );
});

test('package.json: language, grammar, language configuration and entry point', () => {
  const [language] = manifest.contributes.languages;
  assert.equal(language.id, 'dlm');
  assert.deepEqual(language.extensions, ['.dlm']);
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, language.configuration), 'utf8'));
  assert.deepEqual(config.comments.blockComment, ['<!--', '-->']);
  const [grammar] = manifest.contributes.grammars;
  assert.equal(grammar.scopeName, 'source.dlm');
  const tm = JSON.parse(fs.readFileSync(path.join(ROOT, grammar.path), 'utf8'));
  assert.equal(tm.scopeName, 'source.dlm');
  assert.ok(fs.existsSync(path.join(ROOT, manifest.main)), `${manifest.main} is built`);
  assert.equal(manifest.engines.vscode, '^1.91.0');
  assert.equal(manifest.dependencies['vscode-languageclient'], '9.0.1');
  assert.deepEqual(manifest.activationEvents, []);
});

test('package.json: trace.server and settings with enums have defaults inside the enum', () => {
  const props = manifest.contributes.configuration.properties;
  assert.deepEqual(props['dlmSynth.trace.server'].enum, ['off', 'messages', 'verbose']);
  for (const [key, spec] of Object.entries<any>(props)) {
    assert.ok(spec.description || spec.markdownDescription, `${key} has a description`);
    if (spec.enum) assert.ok(spec.enum.includes(spec.default), `${key} default is in its enum`);
  }
});
