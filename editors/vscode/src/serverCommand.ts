/**
 * Finding the language server program, where Python users' tools look.
 *
 * Order: `dlmSynth.server.path`; the interpreter selected in the Python extension
 * (through its API) and then `python.defaultInterpreterPath`, each used as
 * `<python> -m dlm_synth_lsp` when it can import the package; the workspace's own
 * `.venv` (what `scripts/setup` in a checkout creates); `dlm-synth-lsp` on PATH; a
 * `python3`/`python` on PATH that can import it.
 *
 * Workspace trust: a program the workspace names (its `.venv`, or a selected
 * interpreter inside a workspace folder) is never run in an untrusted workspace; it
 * is listed among what was tried, with the reason, so the message says why.
 *
 * Everything that touches the system (file checks, PATH lookup, the import probe) is
 * passed in, so the order and the messages are unit-tested without a real Python.
 */

import * as path from 'path';

export const SERVER_PROGRAM = 'dlm-synth-lsp';
export const SERVER_MODULE = 'dlm_synth_lsp';

/** How to install the server: it is not on PyPI yet, so from a checkout. */
export const INSTALL_STEPS: readonly string[] = [
  'Install the language server from a checkout of dlm-synth-lsp:',
  '  • run scripts/setup in the checkout (it creates .venv with the server), then open the checkout as a',
  '    folder, or set dlmSynth.server.path to <checkout>/.venv/bin/dlm-synth-lsp;',
  '  • or install it into the Python environment you use: python -m pip install <checkout>',
  "    (with local models: python -m pip install '<checkout>[local]'), and select that interpreter",
  '    in the Python extension.',
];

export type LaunchSource = 'setting' | 'python-extension' | 'python' | 'workspace-venv' | 'path' | 'path-python';

export interface ServerLaunch {
  command: string;
  args: string[];
  /** where the command came from, for the log and the status item */
  source: LaunchSource;
}

export interface NotFound {
  /** a message that says what was tried and how to fix it */
  message: string;
  tried: string[];
}

export interface SystemProbe {
  /** the file exists and is a file (not a directory) */
  isFile(file: string): boolean;
  /** absolute path of an executable named `name` on PATH, if any */
  which(name: string): string | undefined;
  /** `python -c "import dlm_synth_lsp"` succeeds */
  canImportServer(python: string): Promise<boolean>;
}

export interface LaunchInput {
  serverPath: string | undefined;
  pythonPath: string | undefined;
  /** the interpreter selected in the Python extension, if it is installed */
  selectedInterpreter?: string | undefined;
  workspaceFolders?: readonly string[];
  /** an untrusted workspace may not name a program (see the module comment) */
  trusted?: boolean;
  /** the first workspace folder, for `${workspaceFolder}` */
  workspaceFolder: string | undefined;
  home: string;
  platform?: NodeJS.Platform;
}

/** How `source` reads in messages and the status item. */
export const SOURCE_LABELS: Record<LaunchSource, string> = {
  setting: 'dlmSynth.server.path',
  'python-extension': 'the interpreter selected in the Python extension',
  python: 'python.defaultInterpreterPath',
  'workspace-venv': "the workspace's .venv",
  path: 'PATH',
  'path-python': 'a Python on PATH',
};

/** `~`, `${userHome}` and `${workspaceFolder}` as users write them in settings. */
export function expandPath(value: string, workspaceFolder: string | undefined, home: string): string {
  let out = value.replace(/\$\{userHome\}/g, home);
  if (workspaceFolder !== undefined) {
    out = out.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  }
  if (out === '~' || out.startsWith('~/') || out.startsWith('~\\')) {
    out = path.join(home, out.slice(1));
  }
  return out;
}

/** A program name without a directory is looked up on PATH, like a shell would. */
function locate(program: string, probe: SystemProbe): string | undefined {
  if (program.includes('/') || program.includes('\\')) {
    return probe.isFile(program) ? program : undefined;
  }
  return probe.which(program);
}

function inside(file: string, folders: readonly string[]): boolean {
  return folders.some((folder) => {
    const rel = path.relative(folder, file);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  });
}

/** `<folder>/.venv`'s server script and interpreter. */
function venvPrograms(folder: string, platform: NodeJS.Platform): { script: string; python: string } {
  return platform === 'win32'
    ? { script: path.join(folder, '.venv', 'Scripts', `${SERVER_PROGRAM}.exe`), python: path.join(folder, '.venv', 'Scripts', 'python.exe') }
    : { script: path.join(folder, '.venv', 'bin', SERVER_PROGRAM), python: path.join(folder, '.venv', 'bin', 'python') };
}

const UNTRUSTED = 'skipped: the workspace is not trusted, and this program belongs to it';

export async function resolveServerLaunch(
  input: LaunchInput,
  probe: SystemProbe,
): Promise<ServerLaunch | NotFound> {
  const tried: string[] = [];
  const stdio = ['--stdio'];
  const folders = input.workspaceFolders ?? (input.workspaceFolder ? [input.workspaceFolder] : []);
  const trusted = input.trusted ?? true;
  const platform = input.platform ?? process.platform;

  if (input.serverPath !== undefined) {
    const program = expandPath(input.serverPath, input.workspaceFolder, input.home);
    const found = locate(program, probe);
    if (found !== undefined) {
      return { command: found, args: stdio, source: 'setting' };
    }
    // An explicit setting that points nowhere is a mistake to report, not to route around.
    return {
      message:
        `dlmSynth.server.path is set to “${input.serverPath}”, but no such program exists. ` +
        `Fix the setting (the path of the ${SERVER_PROGRAM} program) or clear it, so that the ` +
        'extension looks in your Python environments.',
      tried: [`dlmSynth.server.path: ${program} (not found)`],
    };
  }

  const interpreters: Array<[LaunchSource, string, string]> = [];
  if (input.selectedInterpreter !== undefined) {
    interpreters.push(['python-extension', input.selectedInterpreter, 'the Python extension’s interpreter']);
  }
  if (input.pythonPath !== undefined && input.pythonPath !== 'python') {
    interpreters.push(['python', expandPath(input.pythonPath, input.workspaceFolder, input.home), 'python.defaultInterpreterPath']);
  }
  const probed = new Set<string>();
  for (const [source, wanted, label] of interpreters) {
    const python = locate(wanted, probe);
    if (python === undefined) {
      tried.push(`${label}: ${wanted} (not found)`);
      continue;
    }
    if (!trusted && inside(python, folders)) {
      tried.push(`${label}: ${python} (${UNTRUSTED})`);
      continue;
    }
    if (probed.has(python)) continue;
    probed.add(python);
    if (await probe.canImportServer(python)) {
      return { command: python, args: ['-m', SERVER_MODULE, ...stdio], source };
    }
    tried.push(`${label}: ${python} (cannot import ${SERVER_MODULE})`);
  }

  for (const folder of folders) {
    const venv = venvPrograms(folder, platform);
    if (!probe.isFile(venv.script)) {
      tried.push(`${venv.script} (not found)`);
    } else if (!trusted) {
      tried.push(`${venv.script} (${UNTRUSTED})`);
    } else {
      return { command: venv.script, args: stdio, source: 'workspace-venv' };
    }
  }

  const onPath = probe.which(SERVER_PROGRAM);
  if (onPath !== undefined) {
    return { command: onPath, args: stdio, source: 'path' };
  }
  tried.push(`${SERVER_PROGRAM} on PATH (not found)`);

  for (const name of ['python3', 'python']) {
    const python = probe.which(name);
    if (python === undefined || probed.has(python)) continue;
    probed.add(python);
    if (await probe.canImportServer(python)) {
      return { command: python, args: ['-m', SERVER_MODULE, ...stdio], source: 'path-python' };
    }
    tried.push(`${python} (cannot import ${SERVER_MODULE})`);
  }

  return {
    message:
      `The language server (${SERVER_PROGRAM}) was not found. Tried: ${tried.join('; ')}. ` +
      'Install it from a checkout (scripts/setup), select an interpreter that has it in the Python ' +
      'extension, or set dlmSynth.server.path.',
    tried,
  };
}

export function isNotFound(value: ServerLaunch | NotFound): value is NotFound {
  return (value as NotFound).message !== undefined;
}

/** PATH lookup with PATHEXT on Windows, checking files through `isFile`. */
export function whichOn(
  name: string,
  envPath: string | undefined,
  isFile: (file: string) => boolean,
  platform: NodeJS.Platform = process.platform,
  pathExt: string | undefined = process.env.PATHEXT,
): string | undefined {
  const dirs = (envPath ?? '').split(platform === 'win32' ? ';' : ':').filter((d) => d !== '');
  const exts = platform === 'win32' ? ['', ...(pathExt ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (isFile(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}
