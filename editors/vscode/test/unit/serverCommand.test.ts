import { strict as assert } from 'assert';
import * as path from 'path';
import { test } from 'node:test';
import {
  expandPath,
  isNotFound,
  LaunchInput,
  NotFound,
  resolveServerLaunch,
  ServerLaunch,
  SystemProbe,
  whichOn,
} from '../../src/serverCommand';

function probe(files: string[], path: Record<string, string>, importable: string[]): SystemProbe & { probed: string[] } {
  const probed: string[] = [];
  return {
    probed,
    isFile: (f) => files.includes(f),
    which: (name) => path[name],
    canImportServer: async (python) => {
      probed.push(python);
      return importable.includes(python);
    },
  };
}

const base: LaunchInput = { serverPath: undefined, pythonPath: undefined, workspaceFolder: '/ws', workspaceFolders: ['/ws'], home: '/home/u', platform: 'linux' };

test('dlmSynth.server.path wins and gets --stdio', async () => {
  const r = (await resolveServerLaunch(
    { ...base, serverPath: '~/bin/dlm-synth-lsp', pythonPath: '/venv/bin/python', selectedInterpreter: '/venv/bin/python' },
    probe(['/home/u/bin/dlm-synth-lsp', '/venv/bin/python'], { 'dlm-synth-lsp': '/usr/bin/dlm-synth-lsp' }, ['/venv/bin/python']),
  )) as ServerLaunch;
  assert.deepEqual(r, { command: '/home/u/bin/dlm-synth-lsp', args: ['--stdio'], source: 'setting' });
});

test('a server.path that does not exist is reported, not routed around', async () => {
  const r = await resolveServerLaunch({ ...base, serverPath: '${workspaceFolder}/nope' }, probe([], { 'dlm-synth-lsp': '/usr/bin/dlm-synth-lsp' }, []));
  assert.ok(isNotFound(r));
  assert.match(r.message, /dlmSynth\.server\.path/);
  assert.deepEqual(r.tried, ['dlmSynth.server.path: /ws/nope (not found)']);
});

test('a server.path without a directory is looked up on PATH', async () => {
  const r = (await resolveServerLaunch({ ...base, serverPath: 'my-lsp' }, probe([], { 'my-lsp': '/opt/my-lsp' }, []))) as ServerLaunch;
  assert.equal(r.command, '/opt/my-lsp');
});

test('the interpreter selected in the Python extension comes first among interpreters', async () => {
  const p = probe(['/envs/a/bin/python', '/envs/b/bin/python'], {}, ['/envs/a/bin/python', '/envs/b/bin/python']);
  const r = (await resolveServerLaunch({ ...base, selectedInterpreter: '/envs/a/bin/python', pythonPath: '/envs/b/bin/python' }, p)) as ServerLaunch;
  assert.deepEqual(r, { command: '/envs/a/bin/python', args: ['-m', 'dlm_synth_lsp', '--stdio'], source: 'python-extension' });
});

test('python.defaultInterpreterPath runs -m dlm_synth_lsp when the selected one cannot import it', async () => {
  const p = probe(['/envs/a/bin/python', '/ws/.venv/bin/python'], { 'dlm-synth-lsp': '/usr/bin/dlm-synth-lsp' }, ['/ws/.venv/bin/python']);
  const r = (await resolveServerLaunch({ ...base, selectedInterpreter: '/envs/a/bin/python', pythonPath: '${workspaceFolder}/.venv/bin/python' }, p)) as ServerLaunch;
  assert.deepEqual(r, { command: '/ws/.venv/bin/python', args: ['-m', 'dlm_synth_lsp', '--stdio'], source: 'python' });
  assert.deepEqual(p.probed, ['/envs/a/bin/python', '/ws/.venv/bin/python']);
});

test("a checkout after scripts/setup: the workspace's .venv server is found with no setting at all", async () => {
  const p = probe(['/ws/.venv/bin/dlm-synth-lsp'], { python3: '/usr/bin/python3' }, []);
  const r = (await resolveServerLaunch(base, p)) as ServerLaunch;
  assert.deepEqual(r, { command: '/ws/.venv/bin/dlm-synth-lsp', args: ['--stdio'], source: 'workspace-venv' });
  const win = (await resolveServerLaunch(
    { ...base, workspaceFolders: ['C:\\ws'], workspaceFolder: 'C:\\ws', platform: 'win32' },
    probe([path.join('C:\\ws', '.venv', 'Scripts', 'dlm-synth-lsp.exe')], {}, []),
  )) as ServerLaunch;
  assert.equal(win.source, 'workspace-venv');
});

test('an untrusted workspace: its .venv and an interpreter inside it are skipped, with the reason', async () => {
  const p = probe(['/ws/.venv/bin/dlm-synth-lsp', '/ws/.venv/bin/python'], {}, ['/ws/.venv/bin/python']);
  const r = (await resolveServerLaunch({ ...base, trusted: false, selectedInterpreter: '/ws/.venv/bin/python' }, p)) as NotFound;
  assert.ok(isNotFound(r));
  assert.deepEqual(p.probed, [], 'nothing of the workspace was run');
  assert.deepEqual(r.tried.slice(0, 2), [
    "the Python extension’s interpreter: /ws/.venv/bin/python (skipped: the workspace is not trusted, and this program belongs to it)",
    '/ws/.venv/bin/dlm-synth-lsp (skipped: the workspace is not trusted, and this program belongs to it)',
  ]);
  assert.match(r.message, /skipped: the workspace is not trusted/);
  // an interpreter outside the workspace is still used
  const outside = probe(['/usr/bin/python3.11'], {}, ['/usr/bin/python3.11']);
  const ok = (await resolveServerLaunch({ ...base, trusted: false, selectedInterpreter: '/usr/bin/python3.11' }, outside)) as ServerLaunch;
  assert.equal(ok.source, 'python-extension');
});

test("ms-python's default 'python' is not treated as a choice; PATH comes first", async () => {
  const p = probe([], { 'dlm-synth-lsp': '/usr/bin/dlm-synth-lsp', python: '/usr/bin/python' }, ['/usr/bin/python']);
  const r = (await resolveServerLaunch({ ...base, pythonPath: 'python' }, p)) as ServerLaunch;
  assert.equal(r.source, 'path');
});

test('last resort: python3 on PATH that can import the package (each interpreter probed once)', async () => {
  const p = probe(['/usr/bin/python3'], { python3: '/usr/bin/python3', python: '/usr/bin/python3' }, ['/usr/bin/python3']);
  const r = (await resolveServerLaunch(base, p)) as ServerLaunch;
  assert.deepEqual(r, { command: '/usr/bin/python3', args: ['-m', 'dlm_synth_lsp', '--stdio'], source: 'path-python' });
  const none = probe([], { python3: '/usr/bin/python3', python: '/usr/bin/python3' }, []);
  await resolveServerLaunch(base, none);
  assert.deepEqual(none.probed, ['/usr/bin/python3']);
});

test('nothing found: the message lists every place tried and an install that works from a checkout', async () => {
  const p = probe([], { python3: '/usr/bin/python3' }, []);
  const r = (await resolveServerLaunch({ ...base, pythonPath: '/missing/python' }, p)) as NotFound;
  assert.ok(isNotFound(r));
  assert.deepEqual(r.tried, [
    'python.defaultInterpreterPath: /missing/python (not found)',
    '/ws/.venv/bin/dlm-synth-lsp (not found)',
    'dlm-synth-lsp on PATH (not found)',
    '/usr/bin/python3 (cannot import dlm_synth_lsp)',
  ]);
  for (const tried of r.tried) assert.ok(r.message.includes(tried), tried);
  assert.match(r.message, /scripts\/setup/);
  assert.match(r.message, /dlmSynth\.server\.path/);
  assert.doesNotMatch(r.message, /pip install dlm-synth-lsp/);
});

test('expandPath handles ~, ${userHome} and ${workspaceFolder}', () => {
  assert.equal(expandPath('~/x', '/ws', '/home/u'), '/home/u/x');
  assert.equal(expandPath('${userHome}/y', undefined, '/home/u'), '/home/u/y');
  assert.equal(expandPath('${workspaceFolder}/.venv/bin/python', '/ws', '/h'), '/ws/.venv/bin/python');
  assert.equal(expandPath('/abs', '/ws', '/h'), '/abs');
});

test('whichOn searches PATH in order and uses PATHEXT on Windows', () => {
  const files = new Set(['/b/tool', '/c/tool']);
  assert.equal(whichOn('tool', '/a:/b:/c', (f) => files.has(f), 'linux'), '/b/tool');
  assert.equal(whichOn('tool', '', (f) => files.has(f), 'linux'), undefined);
  const win = new Set(['C:\\py\\tool.EXE'.replace(/\\/g, '/')]);
  const found = whichOn('tool', 'C:/py', (f) => win.has(f.replace(/\\/g, '/')), 'win32', '.EXE;.CMD');
  assert.ok(found?.endsWith('tool.EXE'));
});
