/**
 * The real `SystemProbe` (file system, PATH, and a Python import check) and the
 * Python extension's selected interpreter, kept apart from serverCommand.ts so that
 * the resolution logic stays pure.
 */

import { execFile } from 'child_process';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { SERVER_MODULE, SystemProbe, whichOn } from './serverCommand';

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    if (process.platform !== 'win32') {
      fs.accessSync(file, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

export const nodeProbe: SystemProbe = {
  isFile: isExecutableFile,
  which: (name) => whichOn(name, process.env.PATH, isExecutableFile),
  canImportServer: (python) =>
    new Promise((resolve) => {
      // find_spec does not import the package, so the check stays fast (~50 ms)
      const code = `import importlib.util, sys; sys.exit(0 if importlib.util.find_spec("${SERVER_MODULE}") else 1)`;
      execFile(python, ['-c', code], { timeout: 15000, windowsHide: true }, (error) => resolve(error === null));
    }),
};

export const PYTHON_EXTENSION = 'ms-python.python';

/** The part of the Python extension's API used here (`environments`, stable since 2023). */
interface PythonApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string } | undefined;
    resolveEnvironment(env: { id: string; path: string }): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  };
}

async function pythonApi(extensions: Pick<typeof vscode.extensions, 'getExtension'>): Promise<PythonApi | undefined> {
  const extension = extensions.getExtension<PythonApi>(PYTHON_EXTENSION);
  if (!extension) return undefined;
  try {
    return extension.isActive ? extension.exports : await extension.activate();
  } catch {
    return undefined;
  }
}

/**
 * The interpreter selected in the Python extension for `resource`, or undefined when
 * the extension is not installed (or has none selected).
 */
export async function selectedInterpreter(
  extensions: Pick<typeof vscode.extensions, 'getExtension'>,
  resource: vscode.Uri | undefined,
): Promise<string | undefined> {
  const environments = (await pythonApi(extensions))?.environments;
  const active = environments?.getActiveEnvironmentPath(resource);
  if (!environments || !active) return undefined;
  try {
    const resolved = await environments.resolveEnvironment(active);
    return resolved?.executable?.uri?.fsPath ?? active.path;
  } catch {
    return active.path;
  }
}

/** Fires when the user selects another interpreter in the Python extension. */
export async function onInterpreterChange(
  extensions: Pick<typeof vscode.extensions, 'getExtension'>,
  listener: () => void,
): Promise<vscode.Disposable | undefined> {
  const event = (await pythonApi(extensions))?.environments?.onDidChangeActiveEnvironmentPath;
  return event ? event(listener) : undefined;
}
