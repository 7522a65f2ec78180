import { dlmEditor, lc, resetFakes, vs } from './helpers';
import { strict as assert } from 'assert';
import { beforeEach, test } from 'node:test';
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { ClientHost, DlmCommands } from '../../src/commands';
import { DISCARD, REVIEW_AGAIN, STAGE_INSTEAD } from '../../src/review';

beforeEach(resetFakes);

const URI = 'file:///ws/doc.dlm';

function message(severity: string, text: string, over: Record<string, unknown> = {}) {
  return { severity, text, details: [], actions: [], ...over };
}

/** The server's answer to a preview-mode job: nothing inserted, the review offered. */
const awaiting = {
  status: 'review',
  accepted: 3,
  rejected: 0,
  applied: 0,
  staged: 0,
  alreadyPresent: 0,
  message: message('info', '3 synthesized pairs await your review (3 accepted, 0 rejected, 3 awaiting review).', {
    actions: [
      { title: 'Review 3 pairs…', command: 'dlm-synth.review', arguments: [{ uri: URI, reviewId: 'r1' }] },
      { title: 'Insert all', command: 'dlm-synth.applyReview', arguments: [{ uri: URI, reviewId: 'r1', keep: [0, 1, 2] }] },
      { title: 'Stage them', command: 'dlm-synth.applyReview', arguments: [{ uri: URI, reviewId: 'r1', stage: true }] },
    ],
  }),
};

const range = (line: number) => ({ start: { line, character: 0 }, end: { line: line + 2, character: 9 } });
const listing = {
  reviewId: 'r1',
  pairs: [
    { index: 0, question: 'What stays in L2?', answer: 'A block of A.', strategy: 'extraction', sourceTitle: 'Cache blocking', sourceRange: range(4) },
    { index: 1, question: 'Why tile?', answer: 'To reuse data.', strategy: 'extraction', sourceTitle: 'Cache blocking', sourceRange: range(4) },
    { index: 2, question: 'What is gone?', answer: 'Its source.', strategy: 'expansion', sourceTitle: 'Old', sourceRange: null },
  ],
  message: message('info', '3 synthesized pairs await review.'),
};

function setup() {
  const client = new lc.LanguageClient('dlmSynth', 'DLM Synth', {}, {});
  const sent: Array<{ command: string; args: any }> = [];
  lc.server.handler = async (req) => {
    const command = req.params.command;
    const args = req.params.arguments[0];
    sent.push({ command, args });
    if (command === 'dlm-synth.synthesize') return awaiting;
    if (command === 'dlm-synth.review') return listing;
    if (command === 'dlm-synth.applyReview') {
      const kept = (args.keep ?? []).length;
      const staged = args.stage ? 3 - kept : 0;
      return { applied: kept, staged, dropped: 3 - kept - staged, alreadyPresent: 0, message: message('info', `Inserted ${kept} reviewed pairs.`) };
    }
    throw new Error(`unexpected ${command}`);
  };
  const host: ClientHost = { readyClient: async () => client as unknown as LanguageClient, restart: async () => undefined };
  const output = vs.window.createOutputChannel('DLM Synth');
  const commands = new DlmCommands({
    host,
    window: vs.window as unknown as typeof vscode.window,
    output: output as unknown as vscode.OutputChannel,
  });
  return { commands, sent };
}

test('a finished preview job only notifies: no pick list opens and nothing is sent until the user asks', async () => {
  vs.window.activeTextEditor = dlmEditor([5, 0]);
  const { commands, sent } = setup();
  vs.script.messageAnswers.push(undefined); // the user keeps typing; the notification stays unanswered
  await commands.synthesizeSection();
  assert.deepEqual(vs.recorded.messages[0]!.items, ['Review 3 pairs…', 'Insert all', 'Stage them']);
  assert.equal(vs.recorded.quickPicks.length, 0, 'the review never opens by itself');
  assert.deepEqual(sent.map((s) => s.command), ['dlm-synth.synthesize']);
});

test('the review is a multi-select list, all ticked, showing each pair and where it lands; keeping a subset inserts exactly it', async () => {
  vs.window.activeTextEditor = dlmEditor([5, 0]);
  const { commands, sent } = setup();
  vs.script.messageAnswers.push('Review 3 pairs…');
  vs.script.quickPick.push((items) => [items[0], items[2]]);
  await commands.synthesizeSection();
  const { items, options } = vs.recorded.quickPicks[0]!;
  assert.equal(options.canPickMany, true);
  assert.ok(items.every((i: any) => i.picked === true), 'every pair is kept unless unticked');
  assert.deepEqual(
    items.map((i: any) => [i.label, i.detail, i.description]),
    [
      ['What stays in L2?', 'A block of A.', 'after “Cache blocking” (line 5) · extraction'],
      ['Why tile?', 'To reuse data.', 'after “Cache blocking” (line 5) · extraction'],
      ['What is gone?', 'Its source.', 'its source is gone: it would be staged'],
    ],
  );
  assert.deepEqual(sent.slice(1), [
    { command: 'dlm-synth.review', args: { uri: URI, reviewId: 'r1' } },
    { command: 'dlm-synth.applyReview', args: { uri: URI, reviewId: 'r1', keep: [0, 2] } },
  ]);
  assert.equal(vs.recorded.messages.at(-1)!.text, 'dlm-synth: Inserted 2 reviewed pairs.');
});

test('Escape inserts and stages nothing; dismissing the follow-up leaves the review waiting', async () => {
  vs.window.activeTextEditor = dlmEditor([5, 0]);
  const { commands, sent } = setup();
  vs.script.messageAnswers.push('Review 3 pairs…', undefined);
  vs.script.quickPick.push(() => undefined);
  await commands.synthesizeSection();
  assert.deepEqual(vs.recorded.messages[1]!.items, [REVIEW_AGAIN, STAGE_INSTEAD, DISCARD]);
  assert.deepEqual(sent.map((s) => s.command), ['dlm-synth.synthesize', 'dlm-synth.review']);
});

test('after Escape, staging is a choice: “Stage them instead” stages, “Discard them” drops', async () => {
  vs.window.activeTextEditor = dlmEditor([5, 0]);
  const { commands, sent } = setup();
  vs.script.messageAnswers.push('Review 3 pairs…', STAGE_INSTEAD);
  vs.script.quickPick.push(() => undefined);
  await commands.synthesizeSection();
  assert.deepEqual(sent.at(-1), {
    command: 'dlm-synth.applyReview',
    args: { uri: URI, reviewId: 'r1', keep: [], stage: true },
  });
  sent.length = 0;
  vs.script.messageAnswers.push(DISCARD);
  vs.script.quickPick.push(() => undefined);
  await commands.review();
  assert.deepEqual(sent, [
    { command: 'dlm-synth.review', args: { uri: URI } },
    { command: 'dlm-synth.applyReview', args: { uri: URI, reviewId: 'r1', keep: [] } },
  ]);
});

test('“Review again” reopens the list with fresh positions; the palette command reviews the latest job', async () => {
  vs.window.activeTextEditor = dlmEditor([5, 0]);
  const { commands, sent } = setup();
  vs.script.messageAnswers.push(REVIEW_AGAIN);
  vs.script.quickPick.push(() => undefined, (items) => items);
  await commands.review();
  assert.equal(vs.recorded.quickPicks.length, 2);
  assert.deepEqual(sent.map((s) => s.command), ['dlm-synth.review', 'dlm-synth.review', 'dlm-synth.applyReview']);
  assert.deepEqual(sent.at(-1)!.args.keep, [0, 1, 2]);
});

test('“Insert all” and “Stage them” decide for every pair at once, from the notification, with no pick list', async () => {
  vs.window.activeTextEditor = dlmEditor([5, 0]);
  const { commands, sent } = setup();
  vs.script.messageAnswers.push('Insert all');
  await commands.synthesizeSection();
  assert.equal(vs.recorded.quickPicks.length, 0);
  assert.deepEqual(sent.slice(1), [
    { command: 'dlm-synth.applyReview', args: { uri: URI, reviewId: 'r1', keep: [0, 1, 2] } },
  ]);
  assert.equal(vs.recorded.messages.at(-1)!.text, 'dlm-synth: Inserted 3 reviewed pairs.');
  sent.length = 0;
  vs.script.messageAnswers.push('Stage them');
  await commands.synthesizeSection();
  assert.deepEqual(sent.slice(1), [
    { command: 'dlm-synth.applyReview', args: { uri: URI, reviewId: 'r1', stage: true } },
  ]);
  assert.ok(sent.every((s) => !('quiet' in s.args)), 'the client declared once that it shows results');
});
