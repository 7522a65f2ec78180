import { strict as assert } from 'assert';
import { test } from 'node:test';
import {
  expandPath,
  isNotFound,
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

const base = { serverPath: undefined, pythonPath: undefined, workspaceFolder: '/ws', home: '/home/u' };

test('dlmSynth.server.path wins and gets --stdio', async () => {
  const r = (await resolveServerLaunch(
    { ...base, serverPath: '~/bin/dlm-synth-lsp', pythonPath: '/venv/bin/python' },
    probe(['/home/u/bin/dlm-synth-lsp'], { 'dlm-synth-lsp': '/usr/bin/dlm-synth-lsp' }, ['/venv/bin/python']),
  )) as ServerLaunch;
  assert.deepEqual(r, { command: '/home/u/bin/dlm-synth-lsp', args: ['--stdio'], source: 'setting' });
});

test('a server.path that does not exist is reported, not routed around', async () => {
  const r = await resolveServerLaunch(
    { ...base, serverPath: '${workspaceFolder}/nope' },
    probe([], { 'dlm-synth-lsp': '/usr/bin/dlm-synth-lsp' }, []),
  );
  assert.ok(isNotFound(r));
  assert.match(r.message, /dlmSynth\.server\.path/);
  assert.deepEqual(r.tried, ['dlmSynth.server.path: /ws/nope']);
});

test('a server.path without a directory is looked up on PATH', async () => {
  const r = (await resolveServerLaunch({ ...base, serverPath: 'my-lsp' }, probe([], { 'my-lsp': '/opt/my-lsp' }, []))) as ServerLaunch;
  assert.equal(r.command, '/opt/my-lsp');
});

test('the configured Python interpreter runs -m dlm_synth_lsp when it can import it', async () => {
  const p = probe(['/ws/.venv/bin/python'], { 'dlm-synth-lsp': '/usr/bin/dlm-synth-lsp' }, ['/ws/.venv/bin/python']);
  const r = (await resolveServerLaunch({ ...base, pythonPath: '${workspaceFolder}/.venv/bin/python' }, p)) as ServerLaunch;
  assert.deepEqual(r, { command: '/ws/.venv/bin/python', args: ['-m', 'dlm_synth_lsp', '--stdio'], source: 'python' });
});

test('an interpreter without the package falls back to dlm-synth-lsp on PATH', async () => {
  const p = probe(['/venv/bin/python'], { 'dlm-synth-lsp': '/usr/local/bin/dlm-synth-lsp' }, []);
  const r = (await resolveServerLaunch({ ...base, pythonPath: '/venv/bin/python' }, p)) as ServerLaunch;
  assert.deepEqual(r, { command: '/usr/local/bin/dlm-synth-lsp', args: ['--stdio'], source: 'path' });
  assert.deepEqual(p.probed, ['/venv/bin/python']);
});

test("ms-python's default 'python' is not treated as a choice; PATH comes first", async () => {
  const p = probe([], { 'dlm-synth-lsp': '/usr/bin/dlm-synth-lsp', python: '/usr/bin/python' }, ['/usr/bin/python']);
  const r = (await resolveServerLaunch({ ...base, pythonPath: 'python' }, p)) as ServerLaunch;
  assert.equal(r.source, 'path');
});

test('last resort: python3 on PATH that can import the package', async () => {
  const p = probe([], { python3: '/usr/bin/python3' }, ['/usr/bin/python3']);
  const r = (await resolveServerLaunch(base, p)) as ServerLaunch;
  assert.deepEqual(r, { command: '/usr/bin/python3', args: ['-m', 'dlm_synth_lsp', '--stdio'], source: 'path-python' });
});

test('nothing found: the message names the fix and lists what was tried', async () => {
  const p = probe([], { python3: '/usr/bin/python3' }, []);
  const r = (await resolveServerLaunch({ ...base, pythonPath: '/missing/python' }, p)) as NotFound;
  assert.ok(isNotFound(r));
  assert.match(r.message, /pip install dlm-synth-lsp/);
  assert.match(r.message, /dlmSynth\.server\.path/);
  assert.deepEqual(r.tried, [
    'python.defaultInterpreterPath: /missing/python (not found)',
    'dlm-synth-lsp on PATH (not found)',
    '/usr/bin/python3 (cannot import dlm_synth_lsp)',
  ]);
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
