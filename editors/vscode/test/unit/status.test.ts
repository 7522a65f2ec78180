import './helpers';
import { strict as assert } from 'assert';
import { test } from 'node:test';
import { StatusResult } from '../../src/protocol';
import { Severity, StatusTarget, StatusView } from '../../src/status';

function item(): StatusTarget {
  return { name: '', text: '', detail: '', severity: 0, busy: false, command: undefined } as unknown as StatusTarget;
}

function view() {
  const server = item();
  const synthesis = item();
  return { server, synthesis, view: new StatusView(server, synthesis) };
}

const choice = (over: Partial<StatusResult> = {}): StatusResult => ({
  serverVersion: '0.3.0',
  teacher: 'local:qwen2.5-coder-1.5b',
  teacherSetting: 'auto',
  filter: 'grounded',
  filterSetting: 'auto',
  problem: null,
  reachable: null,
  jobs: [],
  ...over,
});

test('running: the server and where it came from (with a menu), the resolved teacher and filter', () => {
  const { server, synthesis, view: v } = view();
  assert.equal(server.name, 'dlm-synth server');
  assert.deepEqual(server.command, { title: 'Restart, log, settings…', command: 'dlmSynth.statusMenu' });
  assert.equal(synthesis.name, 'dlm-synth synthesis');
  v.setServer({ kind: 'running', source: 'workspace-venv', command: '/ws/.venv/bin/dlm-synth-lsp' });
  v.setChoice(choice());
  assert.equal(server.text, 'dlm-synth 0.3.0');
  assert.equal(server.detail, 'server from .venv');
  assert.equal(synthesis.text, '$(sparkle) local:qwen2.5-coder-1.5b (auto) · grounded (auto)');
  assert.equal(synthesis.detail, 'teacher · filter');
  assert.equal(synthesis.severity, Severity.Information);
  assert.equal(v.describe(), "server 0.3.0 from the workspace's .venv (/ws/.venv/bin/dlm-synth-lsp); teacher local:qwen2.5-coder-1.5b, filter grounded");
  v.setChoice(choice({ teacher: 'vllm-server:http://127.0.0.1:8000', teacherSetting: 'vllm-server:http://127.0.0.1:8000' }));
  assert.equal(synthesis.text, '$(sparkle) vllm-server:127.0.0.1:8000 · grounded (auto)', 'short: no scheme');
});

test('a teacher that cannot run yet is a warning that says why', () => {
  const { synthesis, view: v } = view();
  v.setServer({ kind: 'running', source: 'path', command: '/usr/bin/dlm-synth-lsp' });
  v.setChoice(choice({ teacher: 'openai:gpt-4o-mini', problem: 'openai:gpt-4o-mini needs $OPENAI_API_KEY in the environment …' }));
  assert.equal(synthesis.severity, Severity.Warning);
  assert.match(synthesis.detail ?? '', /^cannot synthesize yet: openai:gpt-4o-mini needs \$OPENAI_API_KEY/);
});

test('a running job: busy, with its title', () => {
  const { synthesis, view: v } = view();
  v.setServer({ kind: 'running', source: 'path', command: 'x' });
  v.setJobs(['Synthesizing instructions']);
  assert.equal(synthesis.busy, true);
  assert.equal(synthesis.text, '$(sync~spin) Synthesizing instructions');
  v.setJobs(['Synthesizing instructions', 'Synthesizing instructions for the document']);
  assert.equal(synthesis.text, '$(sync~spin) Synthesizing instructions (+1)');
  v.setJobs([]);
  assert.equal(synthesis.busy, false);
});

test('no server: an error that stays exactly as long as the problem', () => {
  const { server, view: v } = view();
  assert.equal(server.busy, true, 'starting');
  v.setServer({ kind: 'unavailable', reason: 'The language server (dlm-synth-lsp) was not found. Tried: …' });
  assert.equal(server.severity, Severity.Error);
  assert.equal(server.text, 'dlm-synth: no server');
  assert.match(server.detail ?? '', /was not found/);
  v.setServer({ kind: 'running', source: 'path', command: 'x' });
  assert.equal(server.severity, Severity.Information, 'cleared on recovery');
  assert.equal(server.text, 'dlm-synth');
});
