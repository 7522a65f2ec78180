/**
 * Ids of the language server's `workspace/executeCommand` commands
 * (server/dlm_synth_lsp/lsp/features/commands.py) and of this extension's palette
 * commands.
 *
 * vscode-languageclient registers every id the server advertises as a global VS Code
 * command (and would throw on a duplicate), so the palette commands use their own
 * `dlmSynth.*` ids and call the server ids through `workspace/executeCommand`. The
 * contract test (tests/editors/test_vscode_contract.py) checks both lists against
 * the server and package.json.
 */

export const ServerCommand = {
  synthesize: 'dlm-synth.synthesize',
  synthesizeDocument: 'dlm-synth.synthesizeDocument',
  revert: 'dlm-synth.revert',
  list: 'dlm-synth.list',
  cancel: 'dlm-synth.cancel',
  applyStaged: 'dlm-synth.applyStaged',
  revealSource: 'dlm-synth.revealSource',
} as const;

export type ServerCommandId = (typeof ServerCommand)[keyof typeof ServerCommand];

export const PaletteCommand = {
  synthesizeSection: 'dlmSynth.synthesizeSection',
  synthesizeDocument: 'dlmSynth.synthesizeDocument',
  revert: 'dlmSynth.revert',
  list: 'dlmSynth.list',
  cancel: 'dlmSynth.cancel',
  applyStaged: 'dlmSynth.applyStaged',
  restartServer: 'dlmSynth.restartServer',
} as const;

export type PaletteCommandId = (typeof PaletteCommand)[keyof typeof PaletteCommand];

/** The language id and settings section the extension and the server share. */
export const LANGUAGE_ID = 'dlm';
export const SECTION = 'dlmSynth';
