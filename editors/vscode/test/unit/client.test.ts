import { lc, resetFakes, vs } from './helpers';
import { strict as assert } from 'assert';
import { beforeEach, test } from 'node:test';
import * as vscode from 'vscode';
import { ServerController } from '../../src/client';
import { SystemProbe } from '../../src/serverCommand';

beforeEach(resetFakes);

function controller(probe: Partial<SystemProbe> = {}): ServerController {
  return new ServerController({
    workspace: vs.workspace as unknown as typeof vscode.workspace,
    window: vs.window as unknown as typeof vscode.window,
    commands: vs.commands as unknown as typeof vscode.commands,
    env: vs.env as unknown as typeof vscode.env,
    output: vs.window.createOutputChannel('DLM Synth') as unknown as vscode.OutputChannel,
    probe: {
      isFile: () => false,
      which: (name) => (name === 'dlm-synth-lsp' ? '/usr/bin/dlm-synth-lsp' : undefined),
      canImportServer: async () => false,
      ...probe,
    },
  });
}

test('starts dlm-synth-lsp --stdio for dlm documents with the settings as initializationOptions', async () => {
  vs.settings.workspace.set('dlmSynth.strategy', 'both');
  const client = await controller().readyClient();
  assert.ok(client);
  const fake = lc.clients[0]!;
  assert.equal(fake.id, 'dlmSynth');
  assert.ok(fake.started);
  assert.deepEqual(fake.serverOptions.run, { command: '/usr/bin/dlm-synth-lsp', args: ['--stdio'], options: {} });
  assert.equal(fake.serverOptions.run.transport, undefined); // no second --stdio from languageclient
  const opts = fake.clientOptions;
  assert.deepEqual(opts.documentSelector, [
    { scheme: 'file', language: 'dlm' },
    { scheme: 'untitled', language: 'dlm' },
  ]);
  assert.deepEqual(opts.synchronize, { configurationSection: 'dlmSynth' });
  assert.equal(opts.initializationOptions.strategy, 'both');
  assert.equal(opts.initializationOptions.teacher, 'auto');
  assert.equal(opts.initializationOptions['server.path'], undefined);
});

test('workspace/configuration for dlmSynth is answered with trust-filtered settings', async () => {
  await controller().readyClient();
  const opts = lc.clients[0]!.clientOptions;
  vs.workspace.isTrusted = false;
  vs.settings.workspace.set('dlmSynth.teacher', 'vllm-server:http://evil.example');
  vs.settings.workspace.set('dlmSynth.perSection', 7);
  const next = async (params: any) => params.items.map((item: any) => ({ raw: item.section }));
  const answer = await opts.middleware.workspace.configuration(
    { items: [{ section: 'dlmSynth' }, { section: 'editor' }] },
    undefined,
    next,
  );
  assert.equal(answer[0].teacher, 'auto');
  assert.equal(answer[0].perSection, 7);
  assert.deepEqual(answer[1], { raw: 'editor' });
});

test('server not found: one error with the fix and buttons; Copy puts the pip command on the clipboard', async () => {
  vs.script.messageAnswers.push('Copy install command');
  const client = await controller({ which: () => undefined }).readyClient();
  assert.equal(client, undefined);
  assert.equal(lc.clients.length, 0);
  const [message] = vs.recorded.messages;
  assert.equal(message?.severity, 'error');
  assert.match(message!.text, /pip install dlm-synth-lsp/);
  assert.match(message!.text, /dlmSynth\.server\.path/);
  assert.deepEqual(message!.items, ['Open Settings', 'Copy install command', 'Retry']);
  await new Promise((r) => setImmediate(r));
  assert.equal(vs.env.clipboardText, 'pip install dlm-synth-lsp');
});

test('Open Settings opens the server.path setting', async () => {
  vs.script.messageAnswers.push('Open Settings');
  await controller({ which: () => undefined }).readyClient();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(vs.executedCommands[0], { id: 'workbench.action.openSettings', args: ['dlmSynth.server.path'] });
});

test('a server that fails to start is reported with the command', async () => {
  lc.server.startError = new Error('spawn /usr/bin/dlm-synth-lsp EACCES');
  const client = await controller().readyClient();
  assert.equal(client, undefined);
  assert.match(vs.recorded.messages[0]!.text, /did not start: spawn .* EACCES/);
});

test('restart stops the old client and starts a new one; concurrent callers share one start', async () => {
  const ctl = controller();
  const [a, b] = await Promise.all([ctl.readyClient(), ctl.readyClient()]);
  assert.equal(a, b);
  assert.equal(lc.clients.length, 1);
  await ctl.restart();
  assert.equal(lc.clients.length, 2);
  assert.ok(lc.clients[0]!.stopped);
  assert.ok(lc.clients[1]!.started);
  assert.equal(ctl.current, lc.clients[1] as unknown);
});

test('the error handler is the restart policy', async () => {
  await controller().readyClient();
  const handler = lc.clients[0]!.clientOptions.errorHandler;
  assert.equal(handler.closed().action, lc.CloseAction.Restart);
});
