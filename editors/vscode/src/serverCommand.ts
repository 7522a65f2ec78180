/**
 * Finding the language server program.
 *
 * Order: `dlmSynth.server.path`, then the Python interpreter the user configured for
 * ms-python (`python.defaultInterpreterPath`, used as `<python> -m dlm_synth_lsp`
 * when that interpreter can import the package), then `dlm-synth-lsp` on PATH, then a
 * `python3`/`python` on PATH that can import it. Everything that touches the system
 * (file checks, PATH lookup, the import probe) is passed in, so the order and the
 * messages are unit-tested without a real Python.
 */

import * as path from 'path';

export const SERVER_PROGRAM = 'dlm-synth-lsp';
export const SERVER_MODULE = 'dlm_synth_lsp';
export const INSTALL_HINT = 'pip install dlm-synth-lsp';

export interface ServerLaunch {
  command: string;
  args: string[];
  /** where the command came from, for the log and messages */
  source: 'setting' | 'python' | 'path' | 'path-python';
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
  workspaceFolder: string | undefined;
  home: string;
}

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

export async function resolveServerLaunch(
  input: LaunchInput,
  probe: SystemProbe,
): Promise<ServerLaunch | NotFound> {
  const tried: string[] = [];
  const stdio = ['--stdio'];

  if (input.serverPath !== undefined) {
    const program = expandPath(input.serverPath, input.workspaceFolder, input.home);
    const found = locate(program, probe);
    if (found !== undefined) {
      return { command: found, args: stdio, source: 'setting' };
    }
    // An explicit setting that points nowhere is a mistake to report, not to route around.
    return {
      message:
        `DLM: dlmSynth.server.path is set to “${input.serverPath}”, but no such program exists. ` +
        `Fix the setting (the path of the ${SERVER_PROGRAM} program) or clear it to use ` +
        `${SERVER_PROGRAM} from your Python environment.`,
      tried: [`dlmSynth.server.path: ${program}`],
    };
  }

  if (input.pythonPath !== undefined && input.pythonPath !== 'python') {
    const python = locate(expandPath(input.pythonPath, input.workspaceFolder, input.home), probe);
    if (python === undefined) {
      tried.push(`python.defaultInterpreterPath: ${input.pythonPath} (not found)`);
    } else if (await probe.canImportServer(python)) {
      return { command: python, args: ['-m', SERVER_MODULE, ...stdio], source: 'python' };
    } else {
      tried.push(`python.defaultInterpreterPath: ${python} (cannot import ${SERVER_MODULE})`);
    }
  }

  const onPath = probe.which(SERVER_PROGRAM);
  if (onPath !== undefined) {
    return { command: onPath, args: stdio, source: 'path' };
  }
  tried.push(`${SERVER_PROGRAM} on PATH (not found)`);

  for (const name of ['python3', 'python']) {
    const python = probe.which(name);
    if (python !== undefined && (await probe.canImportServer(python))) {
      return { command: python, args: ['-m', SERVER_MODULE, ...stdio], source: 'path-python' };
    }
    if (python !== undefined) {
      tried.push(`${python} (cannot import ${SERVER_MODULE})`);
    }
  }

  return {
    message:
      `DLM: the language server was not found. Install it with “${INSTALL_HINT}” in the ` +
      `Python environment VS Code uses (python.defaultInterpreterPath), or set ` +
      `dlmSynth.server.path to the ${SERVER_PROGRAM} program.`,
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
