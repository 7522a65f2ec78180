/**
 * The real `SystemProbe` (file system, PATH, and a Python import check), kept apart
 * from serverCommand.ts so that the resolution logic stays pure.
 */

import { execFile } from 'child_process';
import * as fs from 'fs';
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
