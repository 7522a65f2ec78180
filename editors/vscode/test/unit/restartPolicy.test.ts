import './helpers';
import { strict as assert } from 'assert';
import { test } from 'node:test';
import { RestartPolicy } from '../../src/restartPolicy';
import { CloseAction, ErrorAction } from '../fakes/languageclient';

test('a crashed server is restarted up to 4 times within 3 minutes, then not', () => {
  let now = 0;
  const policy = new RestartPolicy(4, 180_000, () => now);
  for (let i = 0; i < 4; i++) {
    now += 1000;
    assert.equal(policy.closed().action, CloseAction.Restart);
  }
  now += 1000;
  const last = policy.closed();
  assert.equal(last.action, CloseAction.DoNotRestart);
  assert.match(last.message ?? '', /Restart server/);
});

test('crashes spread over time keep being restarted', () => {
  let now = 0;
  const policy = new RestartPolicy(4, 180_000, () => now);
  for (let i = 0; i < 20; i++) {
    now += 60_000;
    assert.equal(policy.closed().action, CloseAction.Restart);
  }
});

test('a manual restart resets the count', () => {
  let now = 0;
  const policy = new RestartPolicy(1, 180_000, () => now);
  assert.equal(policy.closed().action, CloseAction.Restart);
  assert.equal(policy.closed().action, CloseAction.DoNotRestart);
  policy.reset();
  assert.equal(policy.closed().action, CloseAction.Restart);
});

test('connection errors: continue a few times, then shut down', () => {
  const policy = new RestartPolicy();
  assert.equal(policy.error(new Error('x'), undefined, 1).action, ErrorAction.Continue);
  assert.equal(policy.error(new Error('x'), undefined, 4).action, ErrorAction.Shutdown);
});
