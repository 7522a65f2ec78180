/**
 * Ids of this extension's palette commands, and what the extension and the server
 * share besides the command contract (which is in protocol.ts).
 *
 * vscode-languageclient registers every id the server advertises as a global VS Code
 * command (and would throw on a duplicate), so the palette commands use their own
 * `dlmSynth.*` ids and call the server ids through `workspace/executeCommand`. The
 * contract test (tests/editors/test_vscode_contract.py) checks both lists against
 * the server and package.json.
 */

export const PaletteCommand = {
  synthesizeSection: 'dlmSynth.synthesizeSection',
  synthesizeDocument: 'dlmSynth.synthesizeDocument',
  revert: 'dlmSynth.revert',
  list: 'dlmSynth.list',
  cancel: 'dlmSynth.cancel',
  applyStaged: 'dlmSynth.applyStaged',
  review: 'dlmSynth.review',
  restartServer: 'dlmSynth.restartServer',
  statusMenu: 'dlmSynth.statusMenu',
} as const;

export type PaletteCommandId = (typeof PaletteCommand)[keyof typeof PaletteCommand];

/** The language id and settings section the extension and the server share. */
export const LANGUAGE_ID = 'dlm';
export const SECTION = 'dlmSynth';
