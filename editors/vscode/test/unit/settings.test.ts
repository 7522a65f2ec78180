import { resetFakes, vs } from './helpers';
import { strict as assert } from 'assert';
import { beforeEach, test } from 'node:test';
import * as vscode from 'vscode';
import { readLaunchSettings, readServerSettings, RESTRICTED_KEYS, SERVER_KEYS } from '../../src/settings';
import { manifest } from './helpers';

beforeEach(resetFakes);

const ws = vs.workspace as unknown as typeof vscode.workspace;

test('trusted workspace: workspace values apply to every key', () => {
  vs.settings.workspace.set('dlmSynth.teacher', 'vllm-server:http://127.0.0.1:9000');
  vs.settings.workspace.set('dlmSynth.perSection', 5);
  const s = readServerSettings(ws, { isTrusted: true });
  assert.equal(s.teacher, 'vllm-server:http://127.0.0.1:9000');
  assert.equal(s.perSection, 5);
});

test('untrusted workspace: restricted keys take only the user value; others still apply', () => {
  vs.settings.global.set('dlmSynth.teacher', 'openai:gpt-4o-mini');
  vs.settings.workspace.set('dlmSynth.teacher', 'vllm-server:http://evil.example');
  vs.settings.workspace.set('dlmSynth.fallbackTeachers', ['vllm-server:http://evil.example']);
  vs.settings.workspace.set('dlmSynth.dlmHome', '/tmp/elsewhere');
  vs.settings.workspace.set('dlmSynth.perSection', 5);
  const s = readServerSettings(ws, { isTrusted: false });
  assert.equal(s.teacher, 'openai:gpt-4o-mini');
  assert.deepEqual(s.fallbackTeachers, []);
  assert.equal(s.dlmHome, '');
  assert.equal(s.perSection, 5);
});

test('untrusted workspace: server.path and python.defaultInterpreterPath come from user settings only', () => {
  vs.settings.workspace.set('dlmSynth.server.path', './evil');
  vs.settings.workspace.set('python.defaultInterpreterPath', './evil-python');
  assert.deepEqual(readLaunchSettings(ws, { isTrusted: false }), { serverPath: undefined, pythonPath: 'python' });
  vs.settings.global.set('dlmSynth.server.path', '/usr/bin/dlm-synth-lsp');
  assert.equal(readLaunchSettings(ws, { isTrusted: false }).serverPath, '/usr/bin/dlm-synth-lsp');
  assert.deepEqual(readLaunchSettings(ws, { isTrusted: true }), { serverPath: './evil', pythonPath: './evil-python' });
});

test('client-only keys (server.*, trace.*) are not sent to the server', () => {
  const s = readServerSettings(ws, { isTrusted: true });
  assert.deepEqual(Object.keys(s).sort(), [...SERVER_KEYS].sort());
});

test('package.json restrictedConfigurations lists exactly the restricted keys', () => {
  const listed: string[] = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
  assert.deepEqual([...listed].sort(), RESTRICTED_KEYS.map((k) => `dlmSynth.${k}`).sort());
  assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
});

test('every server key is a contributed setting, plus server.path and trace.server', () => {
  const props = Object.keys(manifest.contributes.configuration.properties).sort();
  const expected = [...SERVER_KEYS.map((k) => `dlmSynth.${k}`), 'dlmSynth.server.path', 'dlmSynth.trace.server'].sort();
  assert.deepEqual(props, expected);
});
