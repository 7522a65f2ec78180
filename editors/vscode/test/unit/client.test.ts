import { lc, resetFakes, vs } from './helpers';
import { strict as assert } from 'assert';
import { beforeEach, test } from 'node:test';
import * as vscode from 'vscode';
import { ServerController } from '../../src/client';
import { SystemProbe } from '../../src/serverCommand';
import { ServerState } from '../../src/status';

beforeEach(resetFakes);

function controller(probe: Partial<SystemProbe> = {}, extra: { interpreter?: () => Promise<string | undefined>; remoteName?: string } = {}): ServerController {
  return new ServerController({
    workspace: vs.workspace as unknown as typeof vscode.workspace,
    window: vs.window as unknown as typeof vscode.window,
    commands: vs.commands as unknown as typeof vscode.commands,
    output: vs.window.createOutputChannel('DLM Synth') as unknown as vscode.OutputChannel,
    probe: {
      isFile: () => false,
      which: (name) => (name === 'dlm-synth-lsp' ? '/usr/bin/dlm-synth-lsp' : undefined),
      canImportServer: async () => false,
      ...probe,
    },
    ...extra,
  });
}

const tick = () => new Promise((r) => setImmediate(r));

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

test('the client tells the server it shows every result message (so the server never shows it twice)', async () => {
  await controller().readyClient();
  const caps: any = {};
  for (const feature of lc.clients[0]!.features) feature.fillClientCapabilities(caps);
  assert.deepEqual(caps.experimental, { dlmSynth: { resultMessages: true } });
});

test('workspace/configuration for dlmSynth is answered with trust-filtered settings', async () => {
  await controller().readyClient();
  const opts = lc.clients[0]!.clientOptions;
  vs.workspace.isTrusted = false;
  vs.settings.global.set('dlmSynth.teacher', 'openai:gpt-4o-mini');
  vs.settings.workspace.set('dlmSynth.teacher', 'vllm-server:http://evil.example');
  vs.settings.workspace.set('dlmSynth.perSection', 7);
  const next = async (params: any) => params.items.map((item: any) => ({ raw: item.section }));
  const answer = await opts.middleware.workspace.configuration({ items: [{ section: 'dlmSynth' }, { section: 'editor' }] }, undefined, next);
  assert.equal(answer[0].teacher, 'openai:gpt-4o-mini');
  assert.equal(answer[0].perSection, 7);
  assert.deepEqual(answer[1], { raw: 'editor' });
});

// -- point 1/2: code actions and lenses go through the same flow as the palette ----------------

test('commands from code actions and lenses are routed (middleware), not sent and forgotten', async () => {
  const ctl = controller();
  await ctl.readyClient();
  const routed: Array<[string, unknown[]]> = [];
  ctl.setCommandRouter(async (command, args) => {
    routed.push([command, args]);
    return undefined;
  });
  const next = async () => 'sent directly';
  const middleware = lc.clients[0]!.clientOptions.middleware;
  await middleware.executeCommand('dlm-synth.list', [{ uri: 'file:///a', sourceSectionId: 's' }], next);
  assert.deepEqual(routed, [['dlm-synth.list', [{ uri: 'file:///a', sourceSectionId: 's' }]]]);
});

// -- point 12: the server's own messages and questions, in the one voice -----------------------

test("the server's window/showMessage is shown behind the common prefix and logged", async () => {
  await controller().readyClient();
  const show = lc.clients[0]!.handlers.get('window/showMessage')!;
  show({ type: 2, message: 'Settings: dlmSynth.perSection: must be a number, got "x"; using the default 3' });
  show({ type: 4, message: 'a log line' });
  assert.deepEqual(vs.recorded.messages, [
    { severity: 'warning', text: 'dlm-synth: Settings: dlmSynth.perSection: must be a number, got "x"; using the default 3', items: [] },
  ]);
  assert.ok(vs.recorded.outputLines.includes('dlm-synth: a log line'));
});

test('a question: its choices as buttons; a choice that remembers writes the setting before answering', async () => {
  await controller().readyClient();
  const ask = lc.clients[0]!.handlers.get('window/showMessageRequest')!;
  vs.script.messageAnswers.push('Always use grounded');
  const answer = await ask({
    type: 2,
    message: 'sway judge needs a trained adapter …',
    actions: [{ title: 'Use grounded' }, { title: 'Always use grounded', remember: { filter: 'grounded' } }, { title: 'Cancel' }],
  });
  assert.deepEqual(answer, { title: 'Always use grounded' });
  assert.deepEqual(vs.recorded.messages[0], {
    severity: 'warning',
    text: 'dlm-synth: sway judge needs a trained adapter …',
    items: ['Use grounded', 'Always use grounded', 'Cancel'],
  });
  assert.deepEqual(vs.recorded.updates, [{ key: 'dlmSynth.filter', value: 'grounded', target: vs.ConfigurationTarget.Global }]);
  assert.match(vs.recorded.messages[1]!.text, /^dlm-synth: Kept in your user settings: dlmSynth\.filter = "grounded"/);

  vs.script.messageAnswers.push('Use grounded');
  assert.deepEqual(await ask({ type: 2, message: 'm', actions: [{ title: 'Use grounded' }] }), { title: 'Use grounded' });
  assert.equal(vs.recorded.updates.length, 1, 'a one-time choice writes nothing');
  assert.equal(await ask({ type: 2, message: 'm', actions: [{ title: 'Use grounded' }] }), null, 'dismissed');
});

// -- point 3/5: server state, what was tried, no stale errors ------------------------------------

test('server not found: a warning that says what was tried, with How to install / Open Settings / Retry', async () => {
  const states: ServerState[] = [];
  const ctl = controller({ which: () => undefined });
  ctl.onStateChange((s) => states.push(s));
  const client = await ctl.readyClient();
  assert.equal(client, undefined);
  assert.equal(lc.clients.length, 0);
  const [message] = vs.recorded.messages;
  assert.equal(message?.severity, 'warning', 'a warning leaves the screen by itself: no stale error');
  assert.match(message!.text, /^dlm-synth: The language server \(dlm-synth-lsp\) was not found\. Tried: /);
  assert.match(message!.text, /dlm-synth-lsp on PATH \(not found\)/);
  assert.match(message!.text, /scripts\/setup/);
  assert.doesNotMatch(message!.text, /pip install dlm-synth-lsp/, 'not published: never advertised');
  assert.deepEqual(message!.items, ['How to install', 'Open Settings', 'Retry']);
  assert.deepEqual(states.map((s) => s.kind), ['starting', 'unavailable']);
  assert.ok(vs.recorded.outputLines.some((l) => l.includes('run scripts/setup in the checkout')));
});

test('Open Settings lands on dlmSynth.server.path (on the Remote tab in a remote window)', async () => {
  vs.script.messageAnswers.push('Open Settings');
  await controller({ which: () => undefined }).readyClient();
  await tick();
  assert.deepEqual(vs.executedCommands[0], { id: 'workbench.action.openSettings', args: ['dlmSynth.server.path'] });

  resetFakes();
  vs.script.messageAnswers.push('Open Settings');
  await controller({ which: () => undefined }, { remoteName: 'ssh-remote' }).readyClient();
  await tick();
  assert.deepEqual(vs.executedCommands[0], { id: 'workbench.action.openRemoteSettings', args: [{ query: 'dlmSynth.server.path' }] });
});

test('Retry after installing: the server starts and the state says running (the status item clears)', async () => {
  let installed = false;
  const states: ServerState[] = [];
  const ctl = controller({ which: (name) => (installed && name === 'dlm-synth-lsp' ? '/usr/bin/dlm-synth-lsp' : undefined) });
  ctl.onStateChange((s) => states.push(s));
  let retry: (answer: string) => void = () => undefined;
  vs.script.messageAnswers.push(new Promise<string>((resolve) => (retry = resolve)) as unknown as string);
  assert.equal(await ctl.readyClient(), undefined);
  installed = true; // installed while the warning is up, then Retry
  retry('Retry');
  for (let i = 0; i < 5 && !ctl.current; i++) await tick();
  assert.ok(ctl.current);
  assert.deepEqual(states.map((s) => s.kind), ['starting', 'unavailable', 'starting', 'running']);
});

test('the interpreter selected in the Python extension is used, and said where the server came from', async () => {
  const ctl = controller(
    { isFile: (f) => f === '/envs/a/bin/python', which: () => undefined, canImportServer: async (p) => p === '/envs/a/bin/python' },
    { interpreter: async () => '/envs/a/bin/python' },
  );
  await ctl.readyClient();
  assert.deepEqual(lc.clients[0]!.serverOptions.run.args, ['-m', 'dlm_synth_lsp', '--stdio']);
  assert.equal(lc.clients[0]!.serverOptions.run.command, '/envs/a/bin/python');
  assert.deepEqual(ctl.state, { kind: 'running', source: 'python-extension', command: '/envs/a/bin/python' });
  assert.ok(vs.recorded.outputLines.some((l) => l.includes('from the interpreter selected in the Python extension')));
});

test("untrusted workspace: its .venv is not run, and the message says why", async () => {
  vs.workspace.isTrusted = false;
  vs.workspace.workspaceFolders = [{ uri: vs.Uri.file('/ws') }];
  const client = await controller({ isFile: (f) => f === '/ws/.venv/bin/dlm-synth-lsp', which: () => undefined }).readyClient();
  assert.equal(client, undefined);
  assert.match(vs.recorded.messages[0]!.text, /\/ws\/\.venv\/bin\/dlm-synth-lsp \(skipped: the workspace is not trusted/);
});

test('a server that fails to start is reported with the command and where it came from', async () => {
  lc.server.startError = new Error('spawn /usr/bin/dlm-synth-lsp EACCES');
  const ctl = controller();
  const client = await ctl.readyClient();
  assert.equal(client, undefined);
  assert.match(vs.recorded.messages[0]!.text, /did not start: spawn .* EACCES/);
  assert.match(vs.recorded.messages[0]!.text, /from PATH/);
  assert.equal(ctl.state.kind, 'unavailable');
});

test('a server that keeps crashing: the policy gives up, the state says why, a warning offers Restart', async () => {
  const ctl = controller();
  await ctl.readyClient();
  const handler = lc.clients[0]!.clientOptions.errorHandler;
  for (let i = 0; i < 4; i++) assert.equal(handler.closed().action, lc.CloseAction.Restart);
  const last = handler.closed();
  assert.deepEqual(last, { action: lc.CloseAction.DoNotRestart, handled: true });
  assert.equal(ctl.state.kind, 'unavailable');
  assert.deepEqual(vs.recorded.messages[0]!.items, ['Restart', 'Show log']);
  assert.equal(vs.recorded.messages[0]!.severity, 'warning');
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
