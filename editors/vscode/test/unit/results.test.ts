import './helpers';
import { strict as assert } from 'assert';
import { test } from 'node:test';
import { Message } from '../../src/protocol';
import { buttons, DETAILS, notice, prefixed } from '../../src/results';

const message = (over: Partial<Message> = {}): Message => ({
  severity: 'info',
  text: 'Inserted 3 synthesized pairs (3 accepted, 1 rejected, 3 inserted).',
  details: [],
  actions: [],
  ...over,
});

test("the server's text at the server's severity, behind the prefix every client uses", () => {
  assert.deepEqual(notice(message()), {
    severity: 'info',
    text: 'dlm-synth: Inserted 3 synthesized pairs (3 accepted, 1 rejected, 3 inserted).',
  });
  assert.equal(prefixed('dlm-synth: once'), 'dlm-synth: once', 'never twice');
  assert.equal(notice(message({ severity: 'error', text: 'Synthesis failed: boom.' })).severity, 'error');
});

test('buttons: the follow-up actions, then details when there are any', () => {
  assert.deepEqual(buttons(message()), []);
  const staged = message({
    severity: 'warning',
    actions: [{ title: 'Apply staged instructions', command: 'dlm-synth.applyStaged', arguments: [{ uri: 'file:///a' }] }],
    details: ['“Caching” (line 7) [extraction] ungrounded: 10% of words in source'],
  });
  assert.deepEqual(buttons(staged), ['Apply staged instructions', DETAILS]);
});
