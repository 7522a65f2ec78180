/**
 * Settings as the user meets them: every "Open Settings" lands on the setting, and a
 * choice the user asks to keep ("Always use grounded") is written to the settings.
 *
 * In a remote window (code-server, Remote-SSH, WSL, Codespaces) VS Code lists
 * machine-scoped settings only on the Remote tab, so opening the User tab on
 * `dlmSynth.server.path` would show "No Settings Found": those open the remote
 * settings instead.
 */

import * as vscode from 'vscode';
import { SECTION } from './serverIds';

/** Contributed settings that live on the machine running the extension host. */
export const MACHINE_KEYS: readonly string[] = ['server.path', 'threads', 'dlmHome'];

type Commands = Pick<typeof vscode.commands, 'executeCommand'>;
type Workspace = Pick<typeof vscode.workspace, 'getConfiguration'>;

/** The extension's id: `@ext:` lists all its settings. */
export const EXTENSION_ID = 'dlm-synth-lsp.dlm-synth';

/** The command and argument that open the Settings UI on `dlmSynth.<key>` (all of them for ''). */
export function settingsTarget(key: string, remoteName: string | undefined): { command: string; arg: unknown } {
  const query = key ? `${SECTION}.${key}` : `@ext:${EXTENSION_ID}`;
  // all of them: only the Remote tab lists the machine ones too
  if (remoteName && (key === '' || MACHINE_KEYS.includes(key))) {
    return { command: 'workbench.action.openRemoteSettings', arg: { query } };
  }
  return { command: 'workbench.action.openSettings', arg: query };
}

export async function openSetting(commands: Commands, key: string, remoteName: string | undefined): Promise<void> {
  const target = settingsTarget(key, remoteName);
  await commands.executeCommand(target.command, target.arg);
}

/**
 * Writes `values` (setting names without the `dlmSynth.` prefix) to the user
 * settings, where they apply to every workspace and, for the restricted ones, are
 * honoured in untrusted workspaces too. Returns what was written, for the message.
 */
export async function remember(workspace: Workspace, values: Record<string, unknown>): Promise<string[]> {
  const config = workspace.getConfiguration(SECTION);
  const written: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    await config.update(key, value, vscode.ConfigurationTarget.Global);
    written.push(`${SECTION}.${key} = ${JSON.stringify(value)}`);
  }
  return written;
}
