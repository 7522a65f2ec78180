import './helpers';
import { strict as assert } from 'assert';
import { test } from 'node:test';
import {
  describeApplyStaged,
  describeCancel,
  describeRevert,
  describeSynthesis,
  rejectionSummary,
} from '../../src/results';

test('applied: counts in an info message', () => {
  const m = describeSynthesis({ status: 'applied', accepted: 3, rejected: 1, applied: 3, staged: 0, alreadyPresent: 0 });
  assert.equal(m.severity, 'info');
  assert.equal(m.text, 'DLM: inserted 3 synthesized pairs (3 accepted, 1 rejected, 3 inserted).');
});

test('nothing accepted: the rejection reasons, most common first', () => {
  const result = {
    status: 'nothing-accepted',
    accepted: 0,
    rejected: 3,
    rejectedPairs: [{ reason: 'ungrounded' }, { reason: 'duplicate' }, { reason: 'ungrounded' }],
  };
  assert.equal(rejectionSummary(result), 'ungrounded ×2, duplicate ×1');
  const m = describeSynthesis(result);
  assert.equal(m.severity, 'warning');
  assert.match(m.text, /no synthesized pair was accepted .*ungrounded ×2, duplicate ×1/);
});

test('failed and staged are reported by the extension (the server is asked to stay quiet)', () => {
  const failed = describeSynthesis({ status: 'failed', error: 'boom' });
  assert.equal(failed.severity, 'error');
  assert.equal(failed.text, 'DLM: synthesis failed: boom');
  const staged = describeSynthesis({ status: 'staged', staged: 2 });
  assert.equal(staged.severity, 'warning');
  assert.match(staged.text, /2 synthesized pairs staged .*Apply staged instructions/);
});

test('cancelled mentions staged pairs', () => {
  assert.equal(describeSynthesis({ status: 'cancelled', staged: 1 }).text, 'DLM: synthesis cancelled; 1 accepted pair staged.');
  assert.equal(describeSynthesis({ status: 'cancelled' }).text, 'DLM: synthesis cancelled.');
});

test('revert, apply staged and cancel messages', () => {
  assert.equal(describeRevert({ removed: 2 }).text, 'DLM: removed 2 synthesized sections.');
  assert.equal(describeRevert({ removed: 0 }).severity, 'info');
  assert.equal(describeRevert({ removed: 0, error: 'not applied' }).severity, 'none');
  assert.equal(describeApplyStaged({ applied: 0, alreadyPresent: 0, remaining: 0 }).text, 'DLM: nothing is staged for this document.');
  const partial = describeApplyStaged({ applied: 1, alreadyPresent: 1, remaining: 2 });
  assert.equal(partial.severity, 'warning');
  assert.match(partial.text, /inserted 1 staged pair; 1 already present; 2 still staged/);
  assert.equal(describeCancel({ cancelled: 1 }).text, 'DLM: cancelled 1 synthesis job.');
  assert.match(describeCancel({ cancelled: 0 }).text, /no synthesis is running/);
});
