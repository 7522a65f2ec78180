import { lc, manifest, resetFakes, ROOT, vs } from './helpers';
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

test('changing dlmSynth.server.path offers a restart', async () => {
  vs.settings.global.set('dlmSynth.server.path', process.execPath);
  const ctx = context();
  await activate(ctx);
  vs.script.messageAnswers.push('Restart');
  vs.workspace.fireConfigurationChange(['dlmSynth.server.path']);
  await new Promise((r) => setTimeout(r, 10));
  assert.match(vs.recorded.messages[0]!.text, /restart the language server/);
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
  await new Promise((r) => setTimeout(r, 10));
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
