import './helpers';
import { strict as assert } from 'assert';
import { test } from 'node:test';
import { StatusResult } from '../../src/protocol';
import { Severity, StatusTarget, StatusView } from '../../src/status';

function item(): StatusTarget {
  return { name: '', text: '', detail: '', severity: 0, busy: false, command: undefined } as unknown as StatusTarget;
}

const choice = (over: Partial<StatusResult> = {}): StatusResult => ({
  serverVersion: '0.3.0',
  teacher: 'local',
  teacherSetting: 'auto',
  filter: 'grounded',
  filterSetting: 'auto',
  problem: null,
  reachable: null,
  jobs: [],
  ...over,
});

test('running: the resolved teacher and filter, where the server came from, and a menu', () => {
  const target = item();
  const view = new StatusView(target);
  assert.equal(target.name, 'dlm-synth');
  assert.deepEqual(target.command, { title: 'Restart, log, settings…', command: 'dlmSynth.statusMenu' });
  view.setServer({ kind: 'running', source: 'workspace-venv', command: '/ws/.venv/bin/dlm-synth-lsp' });
  view.setChoice(choice());
  assert.equal(target.text, 'teacher local (auto) · filter grounded (auto)');
  assert.equal(target.detail, "dlm-synth 0.3.0, server from the workspace's .venv");
  assert.equal(target.severity, Severity.Information);
  assert.equal(target.busy, false);
  view.setChoice(choice({ teacher: 'vllm-server:http://127.0.0.1:8000', teacherSetting: 'vllm-server:http://127.0.0.1:8000' }));
  assert.equal(target.text, 'teacher vllm-server:http://127.0.0.1:8000 · filter grounded (auto)');
});

test('a teacher that cannot run yet is a warning that says why', () => {
  const target = item();
  const view = new StatusView(target);
  view.setServer({ kind: 'running', source: 'path', command: '/usr/bin/dlm-synth-lsp' });
  view.setChoice(choice({ teacher: 'openai:gpt-4o-mini', problem: 'openai:gpt-4o-mini needs $OPENAI_API_KEY in the environment …' }));
  assert.equal(target.severity, Severity.Warning);
  assert.match(target.detail ?? '', /^cannot synthesize yet: openai:gpt-4o-mini needs \$OPENAI_API_KEY/);
});

test('a running job: busy, with its title', () => {
  const target = item();
  const view = new StatusView(target);
  view.setServer({ kind: 'running', source: 'path', command: 'x' });
  view.setJobs(['Synthesizing instructions']);
  assert.equal(target.busy, true);
  assert.equal(target.text, '$(sync~spin) Synthesizing instructions');
  view.setJobs(['Synthesizing instructions', 'Synthesizing instructions for the document']);
  assert.equal(target.text, '$(sync~spin) Synthesizing instructions (+1)');
  view.setJobs([]);
  assert.equal(target.busy, false);
});

test('no server: an error that stays exactly as long as the problem', () => {
  const target = item();
  const view = new StatusView(target);
  assert.equal(target.busy, true, 'starting');
  view.setServer({ kind: 'unavailable', reason: 'The language server (dlm-synth-lsp) was not found. Tried: …' });
  assert.equal(target.severity, Severity.Error);
  assert.equal(target.text, 'dlm-synth: no server');
  assert.match(target.detail ?? '', /was not found/);
  view.setServer({ kind: 'running', source: 'path', command: 'x' });
  assert.equal(target.severity, Severity.Information, 'cleared on recovery');
  assert.equal(target.text, 'dlm-synth');
});
