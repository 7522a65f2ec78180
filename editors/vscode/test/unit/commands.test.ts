import { dlmEditor, lc, resetFakes, vs } from './helpers';
import { strict as assert } from 'assert';
import { beforeEach, test } from 'node:test';
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { ClientHost, DlmCommands } from '../../src/commands';

beforeEach(resetFakes);

type Answer = (method: string, command: string, payload: any, req: lc.SentRequest, client: lc.LanguageClient) => Promise<any>;

function setup(answer: Answer, remoteName?: string) {
  const client = new lc.LanguageClient('dlmSynth', 'DLM Synth', {}, {});
  lc.server.handler = (req, c) => answer(req.type.method, req.params.command, req.params.arguments?.[0], req, c);
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
    commands: vs.commands as unknown as typeof vscode.commands,
    workspace: vs.workspace as unknown as typeof vscode.workspace,
    remoteName,
  });
  return { client, commands, restarts: () => restarts };
}

/** A message as the server words it (lsp/messages.py). */
function message(severity: string, text: string, over: Record<string, unknown> = {}) {
  return { severity, text, details: [], actions: [], ...over };
}

const URI = 'file:///ws/doc.dlm';
const review = { title: 'Review 3 pairs…', command: 'dlm-synth.list', arguments: [{ uri: URI, sectionIds: ['s1', 's2', 's3'] }] };
const undo = { title: 'Undo', command: 'dlm-synth.revert', arguments: [{ uri: URI, sectionIds: ['s1', 's2', 's3'] }] };
const rejection = '“Caching” (line 7) [extraction] ungrounded: 10% of words in source — q: Why?';

const applied = {
  status: 'applied',
  accepted: 3,
  rejected: 1,
  applied: 3,
  staged: 0,
  alreadyPresent: 0,
  rejectedPairs: [],
  message: message('info', 'Inserted 3 synthesized pairs for “Caching” (line 7) (3 accepted, 1 rejected, 3 inserted; rejected: ungrounded ×1).', {
    details: [rejection],
    actions: [review, undo],
  }),
};

const TEXT = 'dlm-synth: Inserted 3 synthesized pairs for “Caching” (line 7) (3 accepted, 1 rejected, 3 inserted; rejected: ungrounded ×1).';

// -- point 1: one experience from every entry point --------------------------------------

test('palette: dlm-synth.synthesize with the cursor as range and its own progress token, under a cancellable notification', async () => {
  vs.window.activeTextEditor = dlmEditor([12, 4]);
  const { client, commands } = setup(async () => applied);
  await commands.synthesizeSection();
  const [req] = client.requests;
  assert.equal(req!.type.method, 'workspace/executeCommand');
  assert.equal(req!.params.command, 'dlm-synth.synthesize');
  assert.deepEqual(req!.params.arguments, [{ uri: URI, range: { start: { line: 12, character: 4 }, end: { line: 12, character: 4 } } }]);
  assert.match(req!.params.workDoneToken, /^dlm-synth-[0-9a-f-]{36}$/, 'the server reports into our notification');
  const progress = vs.recorded.progress[0]!;
  assert.deepEqual(progress.options, {
    location: vs.ProgressLocation.Notification,
    title: 'dlm-synth: Synthesizing instructions',
    cancellable: true,
  });
  // one message: counts, reasons on demand, follow-ups
  assert.deepEqual(vs.recorded.messages, [{ severity: 'info', text: TEXT, items: ['Review 3 pairs…', 'Undo', 'Show details'] }]);
});

test("the server's per-section progress shows in the notification, with increments from its percentages", async () => {
  vs.window.activeTextEditor = dlmEditor([3, 0]);
  const reported: any[] = [];
  vs.script.progressReports = reported;
  const { commands } = setup(async (_m, _c, _p, req, c) => {
    const token = req.params.workDoneToken;
    c.reportProgress(token, { kind: 'begin', title: 'Synthesizing instructions', message: 'starting', percentage: 0 });
    c.reportProgress(token, { kind: 'report', message: '“Caching” (extraction): 2 of 3 accepted', percentage: 50 });
    c.reportProgress(token, { kind: 'report', message: '“Storage” (extraction): 1 of 1 accepted', percentage: 100 });
    c.reportProgress(token, { kind: 'end', message: '3 accepted, 1 rejected, 3 inserted' });
    return applied;
  });
  await commands.synthesizeDocument();
  assert.deepEqual(reported, [
    { message: 'starting', increment: 0 },
    { message: '“Caching” (extraction): 2 of 3 accepted', increment: 50 },
    { message: '“Storage” (extraction): 1 of 1 accepted', increment: 50 },
  ]);
  assert.equal(vs.recorded.progress[0]!.options.title, 'dlm-synth: Synthesizing instructions for the document');
});

test('Cancel once the job began: the job is cancelled through its progress token and answers in its own words', async () => {
  vs.window.activeTextEditor = dlmEditor([3, 0]);
  let finish: (value: unknown) => void = () => undefined;
  const { client, commands } = setup(
    (_m, _c, _p, req, c) =>
      new Promise((resolve) => {
        c.reportProgress(req.params.workDoneToken, { kind: 'begin', title: 'Synthesizing instructions', message: 'starting' });
        finish = resolve;
      }),
  );
  lc.server.onNotification = (method) => {
    if (method === 'window/workDoneProgress/cancel') {
      finish({ status: 'cancelled', accepted: 2, staged: 2, message: message('info', 'Synthesis cancelled. cancelled: 2 synthesized pairs staged in the dlm store.') });
    }
  };
  vs.script.onProgress = (source) => setTimeout(() => source.cancel(), 5);
  await commands.synthesizeSection();
  assert.deepEqual(client.notificationsSent, [
    { method: 'window/workDoneProgress/cancel', params: { token: client.requests[0]!.params.workDoneToken } },
  ]);
  assert.equal(client.requests[0]!.token.isCancellationRequested, false, 'the request itself runs to its answer');
  assert.deepEqual(vs.recorded.messages.map((m) => m.text), ['dlm-synth: Synthesis cancelled. cancelled: 2 synthesized pairs staged in the dlm store.']);
});

test('Cancel before the job began cancels the request itself ($/cancelRequest via its token)', async () => {
  vs.window.activeTextEditor = dlmEditor([3, 0]);
  let cancelledOnServer = false;
  const { client, commands } = setup(
    (_m, _c, _p, req) =>
      new Promise((_resolve, reject) => {
        req.token.onCancellationRequested(() => {
          cancelledOnServer = true;
          reject(new lc.ResponseError(-32800, 'Request cancelled'));
        });
      }),
  );
  vs.script.onProgress = (source) => setTimeout(() => source.cancel(), 5);
  await commands.synthesizeSection();
  assert.ok(cancelledOnServer);
  assert.equal(client.requests.length, 1, 'no second command is needed');
  assert.deepEqual(vs.recorded.messages.map((m) => m.text), ['dlm-synth: Synthesis cancelled.']);
});

test('a code action or lens command runs exactly like the palette command (same notification, same message)', async () => {
  const { client, commands } = setup(async () => applied);
  await commands.run(client as unknown as LanguageClient, 'dlm-synth.synthesize', { uri: URI, sectionId: 'src1' });
  assert.deepEqual(client.requests[0]!.params.arguments, [{ uri: URI, sectionId: 'src1' }]);
  assert.equal(vs.recorded.progress[0]!.options.title, 'dlm-synth: Synthesizing instructions');
  assert.equal(vs.recorded.progress[0]!.options.cancellable, true);
  assert.deepEqual(vs.recorded.messages[0]!.items, ['Review 3 pairs…', 'Undo', 'Show details']);
});

test('Show details puts the reasons (section by title and line) in the log and opens it', async () => {
  vs.window.activeTextEditor = dlmEditor([5, 0]);
  const { commands } = setup(async () => applied);
  vs.script.messageAnswers.push('Show details');
  await commands.synthesizeSection();
  assert.ok(vs.recorded.outputLines.includes(`  ${rejection}`));
  assert.equal(vs.recorded.outputShown, 1);
});

test('Review N pairs… lists exactly the inserted sections; Undo reverts exactly them', async () => {
  vs.window.activeTextEditor = dlmEditor([5, 0]);
  const listing = { applied: [entry('s1', 'Why?', 17)], staged: [] };
  const { client, commands } = setup(async (_m, command) =>
    command === 'dlm-synth.list'
      ? listing
      : command === 'dlm-synth.revert'
        ? { removed: 3, error: null, message: message('info', 'Removed 3 synthesized sections.') }
        : applied,
  );
  vs.script.messageAnswers.push('Review 3 pairs…');
  await commands.synthesizeSection();
  assert.deepEqual(client.requests[1]!.params, { command: 'dlm-synth.list', arguments: [{ uri: URI, sectionIds: ['s1', 's2', 's3'] }] });
  assert.equal(vs.recorded.quickPicks[0]!.options.title, 'Review 3 pairs');

  vs.script.messageAnswers.push('Undo');
  await commands.synthesizeSection();
  assert.deepEqual(client.requests.at(-1)!.params, { command: 'dlm-synth.revert', arguments: [{ uri: URI, sectionIds: ['s1', 's2', 's3'] }] });
  assert.equal(vs.recorded.messages.at(-1)!.text, 'dlm-synth: Removed 3 synthesized sections.');
});

test('nothing accepted: a warning with the reasons on demand', async () => {
  vs.window.activeTextEditor = dlmEditor([5, 0]);
  const { commands } = setup(async () => ({
    status: 'nothing-accepted',
    message: message('warning', 'No synthesized pair was accepted (0 accepted, 1 rejected; rejected: ungrounded ×1).', { details: [rejection] }),
  }));
  await commands.synthesizeSection();
  assert.deepEqual(vs.recorded.messages[0], {
    severity: 'warning',
    text: 'dlm-synth: No synthesized pair was accepted (0 accepted, 1 rejected; rejected: ungrounded ×1).',
    items: ['Show details'],
  });
});

test("staged: the server's follow-up action runs that server command and shows its message", async () => {
  vs.window.activeTextEditor = dlmEditor([5, 0]);
  const action = { title: 'Apply staged instructions', command: 'dlm-synth.applyStaged', arguments: [{ uri: URI }] };
  const { client, commands } = setup(async (_m, command) =>
    command === 'dlm-synth.applyStaged'
      ? { applied: 2, alreadyPresent: 0, remaining: 0, message: message('info', 'Inserted 2 staged pairs.') }
      : { status: 'staged', staged: 2, message: message('warning', '2 synthesized pairs staged.', { actions: [action] }) },
  );
  vs.script.messageAnswers.push('Apply staged instructions');
  await commands.synthesizeSection();
  assert.deepEqual(vs.recorded.messages[0]!.items, ['Apply staged instructions']);
  assert.deepEqual(client.requests[1]!.params, { command: 'dlm-synth.applyStaged', arguments: [{ uri: URI }] });
  assert.equal(vs.recorded.messages[1]!.text, 'dlm-synth: Inserted 2 staged pairs.');
});

test('a JSON-RPC error (bad range, not in prose) is shown as an error, in the server’s words', async () => {
  vs.window.activeTextEditor = dlmEditor([0, 0]);
  const { commands } = setup(async () => {
    throw new lc.ResponseError(-32602, 'the range is not inside a prose section');
  });
  await commands.synthesizeSection();
  assert.deepEqual(vs.recorded.messages[0], { severity: 'error', text: 'dlm-synth: the range is not inside a prose section', items: [] });
});

test('a selection is sent as the range (the teacher sees only the selected text)', async () => {
  vs.window.activeTextEditor = dlmEditor([10, 0], [11, 7]);
  const { client, commands } = setup(async () => applied);
  await commands.synthesizeSection();
  assert.deepEqual(client.requests[0]!.params.arguments[0].range, { start: { line: 10, character: 0 }, end: { line: 11, character: 7 } });
});

test('commands need a .dlm editor', async () => {
  vs.window.activeTextEditor = dlmEditor([0, 0], [0, 0], 'markdown');
  const { client, commands } = setup(async () => applied);
  await commands.synthesizeSection();
  assert.equal(client.requests.length, 0);
  assert.match(vs.recorded.messages[0]!.text, /^dlm-synth: open a \.dlm document/);
});

test('running jobs are reported (the status item shows them) and cleared when they end', async () => {
  vs.window.activeTextEditor = dlmEditor([0, 0]);
  const seen: string[][] = [];
  const { commands } = setup(async () => applied);
  commands.onJobsChanged((titles) => seen.push(titles));
  await commands.synthesizeSection();
  assert.deepEqual(seen, [['Synthesizing instructions'], []]);
});

// -- point 2: the "N synthesized pairs" lens opens the list for its section -------------------

function entry(sectionId: string, question: string, line: number, extra: Record<string, unknown> = {}) {
  return {
    sectionId,
    sourceSectionId: 'src1',
    sourceExists: true,
    teacher: 'vllm-server:http://127.0.0.1:8000',
    strategy: 'extraction',
    synthAt: '2026-11-20T09:12:00Z',
    question,
    range: { start: { line, character: 0 }, end: { line: line + 5, character: 8 } },
    ...extra,
  };
}

const listing = {
  applied: [entry('aaa', 'How long are certificates valid?', 17), entry('bbb', 'Why SIGHUP?', 30, { sourceExists: false, teacher: 'self', strategy: 'expansion', synthAt: null })],
  staged: [{ sectionId: null, sourceSectionId: 'src1', sourceExists: true, teacher: 'self', strategy: 'extraction', synthAt: null, question: 'Staged?', range: null }],
};

test('the lens command (dlm-synth.list for one source) opens the pick list of that section; picking jumps', async () => {
  const editor = dlmEditor([0, 0]);
  vs.window.activeTextEditor = editor;
  vs.script.quickPick.push((items, options) => {
    options.onDidSelectItem(items[1]); // moving through the list previews the section
    return items[2];
  });
  const { client, commands } = setup(async () => listing);
  await commands.run(client as unknown as LanguageClient, 'dlm-synth.list', { uri: URI, sourceSectionId: 'src1' });
  assert.deepEqual(client.requests[0]!.params, { command: 'dlm-synth.list', arguments: [{ uri: URI, sourceSectionId: 'src1' }] });
  const { items, options } = vs.recorded.quickPicks[0]!;
  assert.equal(options.title, 'Synthesized instructions: from this section');
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
  assert.equal(items[2].detail, 'source section missing');
  assert.deepEqual(editor.revealed.map((r: any) => r.start.line), [17, 30]);
  assert.equal(editor.selection.active.line, 30);
});

test('palette list: every entry of the document; picking a staged pair offers to apply staged instructions', async () => {
  vs.window.activeTextEditor = dlmEditor([0, 0]);
  vs.script.quickPick.push((items) => items[4]);
  vs.script.messageAnswers.push('Apply staged instructions');
  const { client, commands } = setup(async (_m, command) =>
    command === 'dlm-synth.list' ? listing : { applied: 1, alreadyPresent: 0, remaining: 0, message: message('info', 'Inserted 1 staged pair.') },
  );
  await commands.list();
  assert.match(vs.recorded.quickPicks[0]!.options.title, /2 in the document, 1 staged/);
  assert.deepEqual(client.requests.map((r) => r.params.command), ['dlm-synth.list', 'dlm-synth.applyStaged']);
  assert.equal(vs.recorded.messages.at(-1)!.text, 'dlm-synth: Inserted 1 staged pair.');
});

// -- point 6: choices the user asks to keep, settings that open on the setting ----------------

test('“Always use grounded” (a rememberSettings action) writes dlmSynth.filter to the user settings and says so', async () => {
  vs.window.activeTextEditor = dlmEditor([5, 0]);
  const keep = { title: 'Always use grounded', command: 'dlm-synth.rememberSettings', arguments: [{ settings: { filter: 'grounded' } }] };
  const { client, commands } = setup(async () => ({
    status: 'failed',
    message: message('error', 'Synthesis did not start: sway judge needs a trained adapter … (the filter is the setting dlmSynth.filter).', { actions: [keep] }),
  }));
  vs.script.messageAnswers.push('Always use grounded');
  await commands.synthesizeSection();
  assert.deepEqual(vs.recorded.updates, [{ key: 'dlmSynth.filter', value: 'grounded', target: vs.ConfigurationTarget.Global }]);
  assert.equal(client.requests.length, 1, 'a client command, never sent to the server');
  assert.equal(vs.recorded.messages.at(-1)!.text, 'dlm-synth: Kept in your user settings: dlmSynth.filter = "grounded".');
});

test('“Choose a teacher…” (an openSetting action) opens the Settings UI on dlmSynth.teacher', async () => {
  vs.window.activeTextEditor = dlmEditor([5, 0]);
  const choose = { title: 'Choose a teacher…', command: 'dlm-synth.openSetting', arguments: [{ setting: 'teacher' }] };
  const { commands } = setup(async () => ({ status: 'failed', message: message('error', 'Synthesis did not start: …', { actions: [choose] }) }));
  vs.script.messageAnswers.push('Choose a teacher…');
  await commands.synthesizeSection();
  assert.deepEqual(vs.executedCommands, [{ id: 'workbench.action.openSettings', args: ['dlmSynth.teacher'] }]);
});

test('in a remote window a machine setting opens on the Remote tab (the User tab would show nothing)', async () => {
  const choose = { title: 'Open Settings', command: 'dlm-synth.openSetting', arguments: [{ setting: 'dlmHome' }] };
  vs.window.activeTextEditor = dlmEditor([5, 0]);
  const { commands } = setup(async () => ({ status: 'failed', message: message('error', 'x', { actions: [choose] }) }), 'code-server');
  vs.script.messageAnswers.push('Open Settings');
  await commands.synthesizeSection();
  assert.deepEqual(vs.executedCommands, [{ id: 'workbench.action.openRemoteSettings', args: [{ query: 'dlmSynth.dlmHome' }] }]);
});

// -- the other palette commands ------------------------------------------------------------

test('revert: the section under the cursor is offered first; picking it reverts only that section', async () => {
  vs.window.activeTextEditor = dlmEditor([31, 2]);
  vs.script.quickPick.push((items) => items[0]);
  const removed = { removed: 1, error: null, message: message('info', 'Removed 1 synthesized section.') };
  const { client, commands } = setup(async (_m, command) => (command === 'dlm-synth.list' ? listing : removed));
  await commands.revert();
  const labels = vs.recorded.quickPicks[0]!.items.map((i: any) => i.label);
  assert.deepEqual(labels, ['$(sparkle) Why SIGHUP?', '$(trash) All synthesized sections (2)', '$(sparkle) How long are certificates valid?']);
  assert.deepEqual(client.requests[1]!.params, { command: 'dlm-synth.revert', arguments: [{ uri: URI, sectionId: 'bbb' }] });
  assert.equal(vs.recorded.messages[0]!.text, 'dlm-synth: Removed 1 synthesized section.');
});

test('revert all sends no sectionId; with nothing to revert the server says so', async () => {
  vs.window.activeTextEditor = dlmEditor([0, 0]);
  vs.script.quickPick.push((items) => items.find((i: any) => i.kindOf === 'all'));
  const removed = { removed: 2, error: null, message: message('info', 'Removed 2 synthesized sections.') };
  const { client, commands } = setup(async (_m, command) => (command === 'dlm-synth.list' ? listing : removed));
  await commands.revert();
  assert.deepEqual(client.requests[1]!.params.arguments, [{ uri: URI }]);

  const none = setup(async (_m, command) =>
    command === 'dlm-synth.list' ? { applied: [], staged: [] } : { removed: 0, error: null, message: message('info', 'There were no synthesized instructions to revert.') },
  );
  await none.commands.revert();
  assert.equal(vs.recorded.messages.at(-1)!.text, 'dlm-synth: There were no synthesized instructions to revert.');
});

test('cancel: dlm-synth.cancel for the document', async () => {
  vs.window.activeTextEditor = dlmEditor([0, 0]);
  const { client, commands } = setup(async () => ({ cancelled: 1, message: message('info', 'Cancelled 1 synthesis job.') }));
  await commands.cancel();
  assert.deepEqual(client.requests[0]!.params, { command: 'dlm-synth.cancel', arguments: [{ uri: URI }] });
  assert.equal(vs.recorded.messages[0]!.text, 'dlm-synth: Cancelled 1 synthesis job.');
});

test('apply staged: dlm-synth.applyStaged under a progress notification', async () => {
  vs.window.activeTextEditor = dlmEditor([0, 0]);
  const text = 'Inserted 2 staged pairs; 1 already present.';
  const { client, commands } = setup(async () => ({ applied: 2, alreadyPresent: 1, remaining: 0, message: message('info', text) }));
  await commands.applyStaged();
  assert.deepEqual(client.requests[0]!.params, { command: 'dlm-synth.applyStaged', arguments: [{ uri: URI }] });
  assert.equal(vs.recorded.progress.length, 1);
  assert.equal(vs.recorded.messages[0]!.text, `dlm-synth: ${text}`);
});

test('restart server goes to the host', async () => {
  const { commands, restarts } = setup(async () => null);
  const restart = commands.handlers().find(([id]) => id === 'dlmSynth.restartServer')![1];
  await restart();
  assert.equal(restarts(), 1);
});

test('settings targets: one setting (Remote tab for machine ones in a remote window), or all of the extension', async () => {
  const { settingsTarget } = await import('../../src/settingsUi');
  assert.deepEqual(settingsTarget('teacher', undefined), { command: 'workbench.action.openSettings', arg: 'dlmSynth.teacher' });
  assert.deepEqual(settingsTarget('teacher', 'ssh-remote'), { command: 'workbench.action.openSettings', arg: 'dlmSynth.teacher' });
  assert.deepEqual(settingsTarget('server.path', 'wsl'), { command: 'workbench.action.openRemoteSettings', arg: { query: 'dlmSynth.server.path' } });
  assert.deepEqual(settingsTarget('', undefined), { command: 'workbench.action.openSettings', arg: '@ext:dlm-synth-lsp.dlm-synth' });
  // in a remote window only the Remote tab lists all of them (the User tab hides machine settings)
  assert.deepEqual(settingsTarget('', 'codespaces'), { command: 'workbench.action.openRemoteSettings', arg: { query: '@ext:dlm-synth-lsp.dlm-synth' } });
});
