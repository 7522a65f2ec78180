import { dlmEditor, lc, resetFakes, vs } from './helpers';
import { strict as assert } from 'assert';
import { beforeEach, test } from 'node:test';
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { ClientHost, DlmCommands } from '../../src/commands';

beforeEach(resetFakes);

function setup(answer: (method: string, command: string, payload: any, token: any) => Promise<any>) {
  const client = new lc.LanguageClient('dlmSynth', 'DLM Synth', {}, {});
  lc.server.handler = (req) => answer(req.type.method, req.params.command, req.params.arguments[0], req.token);
  let restarts = 0;
  const host: ClientHost = {
    readyClient: async () => client as unknown as LanguageClient,
    restart: async () => {
      restarts++;
    },
  };
  const output = vs.window.createOutputChannel('DLM Synth');
  const commands = new DlmCommands({
    host,
    window: vs.window as unknown as typeof vscode.window,
    output: output as unknown as vscode.OutputChannel,
  });
  return { client, commands, restarts: () => restarts };
}

/** A message as the server words it (lsp/messages.py). */
function message(severity: string, text: string, over: Record<string, unknown> = {}) {
  return { severity, text, details: [], actions: [], ...over };
}

const applied = {
  status: 'applied',
  accepted: 3,
  rejected: 0,
  applied: 3,
  staged: 0,
  alreadyPresent: 0,
  rejectedPairs: [],
  message: message('info', 'Inserted 3 synthesized pairs (3 accepted, 0 rejected, 3 inserted).'),
};

test('section at cursor: dlm-synth.synthesize with the cursor as range, under a cancellable notification', async () => {
  vs.window.activeTextEditor = dlmEditor([12, 4]);
  const { client, commands } = setup(async () => applied);
  await commands.synthesizeSection();
  const [req] = client.requests;
  assert.equal(req!.type.method, 'workspace/executeCommand');
  assert.deepEqual(req!.params, {
    command: 'dlm-synth.synthesize',
    arguments: [
      { uri: 'file:///ws/doc.dlm', range: { start: { line: 12, character: 4 }, end: { line: 12, character: 4 } }, quiet: true },
    ],
  });
  const progress = vs.recorded.progress[0]!;
  assert.deepEqual(progress.options, {
    location: vs.ProgressLocation.Notification,
    title: 'DLM: synthesizing instructions for the section',
    cancellable: true,
  });
  assert.equal(req!.token, progress.source.token, 'the progress token goes to the request');
  assert.deepEqual(vs.recorded.messages[0], {
    severity: 'info',
    text: 'DLM: Inserted 3 synthesized pairs (3 accepted, 0 rejected, 3 inserted).',
    items: [],
  });
});

test('a selection is sent as the range (the teacher sees only the selected text)', async () => {
  vs.window.activeTextEditor = dlmEditor([10, 0], [11, 7]);
  const { client, commands } = setup(async () => applied);
  await commands.synthesizeSection();
  assert.deepEqual(client.requests[0]!.params.arguments[0].range, {
    start: { line: 10, character: 0 },
    end: { line: 11, character: 7 },
  });
  assert.match(vs.recorded.progress[0]!.options.title, /selection/);
});

test('Cancel on the notification cancels the request itself ($/cancelRequest via the token)', async () => {
  vs.window.activeTextEditor = dlmEditor([3, 0]);
  let cancelledOnServer = false;
  const { client, commands } = setup(
    (_m, _c, _p, token) =>
      new Promise((_resolve, reject) => {
        token.onCancellationRequested(() => {
          cancelledOnServer = true;
          reject(new lc.ResponseError(-32800, 'Request cancelled'));
        });
      }),
  );
  vs.script.onProgress = (source) => setTimeout(() => source.cancel(), 5);
  await commands.synthesizeSection();
  assert.ok(cancelledOnServer);
  assert.equal(client.requests.length, 1, 'no second command is needed');
  assert.deepEqual(vs.recorded.messages.map((m) => m.text), ['DLM: synthesis cancelled.']);
});

test("a server that answers the cancel with a cancelled result: the server's message", async () => {
  vs.window.activeTextEditor = dlmEditor([3, 0]);
  const text = 'Synthesis cancelled. cancelled: 2 synthesized pair(s) staged in the dlm store';
  const { commands } = setup(async () => ({ status: 'cancelled', staged: 2, accepted: 2, rejected: 0, message: message('info', text) }));
  await commands.synthesizeDocument();
  assert.equal(vs.recorded.messages[0]!.text, `DLM: ${text}`);
});

test('document: dlm-synth.synthesizeDocument with only the uri', async () => {
  vs.window.activeTextEditor = dlmEditor([0, 0]);
  const { client, commands } = setup(async () => applied);
  await commands.synthesizeDocument();
  assert.deepEqual(client.requests[0]!.params, {
    command: 'dlm-synth.synthesizeDocument',
    arguments: [{ uri: 'file:///ws/doc.dlm', quiet: true }],
  });
});

test('a JSON-RPC error (bad range, not in prose) is shown as an error', async () => {
  vs.window.activeTextEditor = dlmEditor([0, 0]);
  const { commands } = setup(async () => {
    throw new lc.ResponseError(-32602, 'the range is not inside a prose section');
  });
  await commands.synthesizeSection();
  assert.deepEqual(vs.recorded.messages[0], {
    severity: 'error',
    text: 'DLM: the range is not inside a prose section',
    items: [],
  });
});

test('nothing accepted: the warning with a details button; the details in the log, opened on request', async () => {
  vs.window.activeTextEditor = dlmEditor([5, 0]);
  const detail = '“Caching” (line 7) [extraction] ungrounded: 10% of words in source — q: Why?';
  const { commands } = setup(async () => ({
    status: 'nothing-accepted',
    accepted: 0,
    rejected: 1,
    message: message('warning', 'No synthesized pair was accepted (0 accepted, 1 rejected): ungrounded ×1.', {
      details: [detail],
    }),
  }));
  vs.script.messageAnswers.push('Show details');
  await commands.synthesizeSection();
  const [m] = vs.recorded.messages;
  assert.equal(m!.severity, 'warning');
  assert.equal(m!.text, 'DLM: No synthesized pair was accepted (0 accepted, 1 rejected): ungrounded ×1.');
  assert.deepEqual(m!.items, ['Show details']);
  assert.ok(vs.recorded.outputLines.includes(`  ${detail}`));
  assert.equal(vs.recorded.outputShown, 1);
});

test("staged: the server's follow-up action runs that server command and shows its message", async () => {
  vs.window.activeTextEditor = dlmEditor([5, 0]);
  const action = { title: 'Apply staged instructions', command: 'dlm-synth.applyStaged', arguments: [{ uri: 'file:///ws/doc.dlm' }] };
  const { client, commands } = setup(async (_m, command) =>
    command === 'dlm-synth.applyStaged'
      ? { applied: 2, alreadyPresent: 0, remaining: 0, message: message('info', 'Inserted 2 staged pairs.') }
      : { status: 'staged', accepted: 2, rejected: 0, staged: 2, message: message('warning', '2 synthesized pair(s) staged.', { actions: [action] }) },
  );
  vs.script.messageAnswers.push('Apply staged instructions');
  await commands.synthesizeSection();
  assert.deepEqual(vs.recorded.messages[0]!.items, ['Apply staged instructions']);
  assert.deepEqual(client.requests[1]!.params, { command: 'dlm-synth.applyStaged', arguments: [{ uri: 'file:///ws/doc.dlm' }] });
  assert.equal(vs.recorded.messages[1]!.text, 'DLM: Inserted 2 staged pairs.');
});

test('commands need a .dlm editor', async () => {
  vs.window.activeTextEditor = dlmEditor([0, 0], [0, 0], 'markdown');
  const { client, commands } = setup(async () => applied);
  await commands.synthesizeSection();
  assert.equal(client.requests.length, 0);
  assert.match(vs.recorded.messages[0]!.text, /open a \.dlm document/);
});

const listing = {
  applied: [
    {
      sectionId: 'aaa',
      sourceSectionId: 'src1',
      sourceExists: true,
      teacher: 'vllm-server:http://127.0.0.1:8000',
      strategy: 'extraction',
      synthAt: '2026-11-20T09:12:00Z',
      question: 'How long are certificates valid?',
      range: { start: { line: 17, character: 0 }, end: { line: 22, character: 8 } },
    },
    {
      sectionId: 'bbb',
      sourceSectionId: 'src2',
      sourceExists: false,
      teacher: 'self',
      strategy: 'expansion',
      synthAt: null,
      question: 'Why SIGHUP?',
      range: { start: { line: 30, character: 0 }, end: { line: 34, character: 3 } },
    },
  ],
  staged: [
    { sectionId: null, sourceSectionId: 'src1', teacher: 'self', strategy: 'extraction', synthAt: null, question: 'Staged?', range: null },
  ],
};

test('list: a QuickPick of applied and staged entries; picking one jumps to its section', async () => {
  const editor = dlmEditor([0, 0]);
  vs.window.activeTextEditor = editor;
  vs.script.quickPick.push((items, options) => {
    options.onDidSelectItem(items[2]); // moving through the list previews the section
    return items[2];
  });
  const { client, commands } = setup(async () => listing);
  await commands.list();
  assert.deepEqual(client.requests[0]!.params, { command: 'dlm-synth.list', arguments: [{ uri: 'file:///ws/doc.dlm' }] });
  const { items, options } = vs.recorded.quickPicks[0]!;
  assert.deepEqual(
    items.map((i: any) => [i.kindOf, i.label]),
    [
      ['separator', 'In the document'],
      ['applied', '$(sparkle) How long are certificates valid?'],
      ['applied', '$(sparkle) Why SIGHUP?'],
      ['separator', 'Staged (not inserted yet)'],
      ['staged', '$(clock) Staged?'],
    ],
  );
  assert.match(options.title, /2 in the document, 1 staged/);
  assert.equal(items[2].detail, 'source section missing');
  assert.equal(editor.revealed.length, 2);
  assert.equal(editor.revealed[1].start.line, 30);
  assert.equal(editor.selection.active.line, 30);
});

test('list: picking a staged pair offers to apply staged instructions', async () => {
  vs.window.activeTextEditor = dlmEditor([0, 0]);
  vs.script.quickPick.push((items) => items[4]);
  vs.script.messageAnswers.push('Apply staged instructions');
  const { client, commands } = setup(async (_m, command) =>
    command === 'dlm-synth.list'
      ? listing
      : { applied: 1, alreadyPresent: 0, remaining: 0, message: message('info', 'Inserted 1 staged pair.') },
  );
  await commands.list();
  assert.deepEqual(client.requests.map((r) => r.params.command), ['dlm-synth.list', 'dlm-synth.applyStaged']);
  assert.equal(vs.recorded.messages.at(-1)!.text, 'DLM: Inserted 1 staged pair.');
});

test('revert: the section under the cursor is offered first; picking it reverts only that section', async () => {
  vs.window.activeTextEditor = dlmEditor([31, 2]);
  vs.script.quickPick.push((items) => items[0]);
  const removed = { removed: 1, error: null, message: message('info', 'Removed 1 synthesized section.') };
  const { client, commands } = setup(async (_m, command) => (command === 'dlm-synth.list' ? listing : removed));
  await commands.revert();
  const labels = vs.recorded.quickPicks[0]!.items.map((i: any) => i.label);
  assert.deepEqual(labels, [
    '$(sparkle) Why SIGHUP?',
    '$(trash) All synthesized sections (2)',
    '$(sparkle) How long are certificates valid?',
  ]);
  assert.deepEqual(client.requests[1]!.params, {
    command: 'dlm-synth.revert',
    arguments: [{ uri: 'file:///ws/doc.dlm', sectionId: 'bbb', quiet: true }],
  });
  assert.equal(vs.recorded.messages[0]!.text, 'DLM: Removed 1 synthesized section.');
});

test('revert all sends no sectionId', async () => {
  vs.window.activeTextEditor = dlmEditor([0, 0]);
  vs.script.quickPick.push((items) => items.find((i: any) => i.kindOf === 'all'));
  const removed = { removed: 2, error: null, message: message('info', 'Removed 2 synthesized sections.') };
  const { client, commands } = setup(async (_m, command) => (command === 'dlm-synth.list' ? listing : removed));
  await commands.revert();
  assert.deepEqual(client.requests[1]!.params.arguments, [{ uri: 'file:///ws/doc.dlm', quiet: true }]);
});

test('cancel: dlm-synth.cancel for the document', async () => {
  vs.window.activeTextEditor = dlmEditor([0, 0]);
  const { client, commands } = setup(async () => ({ cancelled: 1, message: message('info', 'Cancelled 1 synthesis job.') }));
  await commands.cancel();
  assert.deepEqual(client.requests[0]!.params, { command: 'dlm-synth.cancel', arguments: [{ uri: 'file:///ws/doc.dlm' }] });
  assert.equal(vs.recorded.messages[0]!.text, 'DLM: Cancelled 1 synthesis job.');
});

test('apply staged: dlm-synth.applyStaged under a progress notification', async () => {
  vs.window.activeTextEditor = dlmEditor([0, 0]);
  const text = 'Inserted 2 staged pairs; 1 already present.';
  const { client, commands } = setup(async () => ({ applied: 2, alreadyPresent: 1, remaining: 0, message: message('info', text) }));
  await commands.applyStaged();
  assert.deepEqual(client.requests[0]!.params, { command: 'dlm-synth.applyStaged', arguments: [{ uri: 'file:///ws/doc.dlm' }] });
  assert.equal(vs.recorded.progress.length, 1);
  assert.equal(vs.recorded.messages[0]!.text, `DLM: ${text}`);
});

test('restart server goes to the host', async () => {
  const { commands, restarts } = setup(async () => null);
  const restart = commands.handlers().find(([id]) => id === 'dlmSynth.restartServer')![1];
  await restart();
  assert.equal(restarts(), 1);
});
