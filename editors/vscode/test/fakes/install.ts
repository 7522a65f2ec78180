/**
 * Makes `require('vscode')` and `require('vscode-languageclient/node')` load the fakes
 * next to this file. Both are needed: the real languageclient subclasses `vscode`
 * classes at import time, so faking `vscode` alone fails. Import this first in every
 * test file.
 */

import Module = require('module');
import * as path from 'path';

const targets: Record<string, string> = {
  vscode: path.join(__dirname, 'vscode.js'),
  'vscode-languageclient/node': path.join(__dirname, 'languageclient.js'),
};

type Resolve = (request: string, ...rest: unknown[]) => string;
const mod = Module as unknown as { _resolveFilename: Resolve };
const original = mod._resolveFilename;
if (!(original as { dlmFake?: boolean }).dlmFake) {
  const patched: Resolve = function (this: unknown, request: string, ...rest: unknown[]) {
    const target = targets[request];
    return target ?? original.call(this, request, ...rest);
  };
  (patched as { dlmFake?: boolean }).dlmFake = true;
  mod._resolveFilename = patched;
}
