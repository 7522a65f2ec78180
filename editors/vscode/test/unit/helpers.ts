/** Shared set-up: fakes installed, package.json defaults loaded into the fake settings. */

import '../fakes/install';
import * as fs from 'fs';
import * as path from 'path';
import * as lc from '../fakes/languageclient';
import * as vs from '../fakes/vscode';

/** editors/vscode (tests run from out/test/unit) */
export const ROOT = path.resolve(__dirname, '..', '..', '..');

export const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

export function resetFakes(): void {
  vs.reset();
  lc.reset();
  vs.settings.defaults.clear();
  for (const [key, spec] of Object.entries<any>(manifest.contributes.configuration.properties)) {
    vs.settings.defaults.set(key, spec.default);
  }
  // ms-python's own default
  vs.settings.defaults.set('python.defaultInterpreterPath', 'python');
}

/** A `.dlm` editor on `file:///ws/doc.dlm` with the selection given. */
export function dlmEditor(anchor: [number, number], active: [number, number] = anchor, languageId = 'dlm'): any {
  const editor = {
    document: { uri: vs.Uri.file('/ws/doc.dlm'), languageId },
    selection: new vs.Selection(new vs.Position(...anchor), new vs.Position(...active)),
    revealed: [] as any[],
    revealRange(range: any) {
      editor.revealed.push(range);
    },
  };
  return editor;
}

export { lc, vs };
