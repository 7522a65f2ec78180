/**
 * Entry point: starts the DLM language server for `.dlm` documents and registers the
 * palette commands. Activation is implicit (`onLanguage:dlm` from the contributed
 * language), so nothing runs until a .dlm file is opened.
 */

import * as vscode from 'vscode';
import { CLIENT_NAME, ServerController } from './client';
import { DlmCommands } from './commands';
import { SECTION } from './serverIds';
import { nodeProbe } from './system';

let controller: ServerController | undefined;

/** Settings that change which program runs; the server cannot pick them up live. */
const LAUNCH_SETTINGS = [`${SECTION}.server.path`, 'python.defaultInterpreterPath'];

export async function activate(context: vscode.ExtensionContext): Promise<ServerController> {
  const output = vscode.window.createOutputChannel(CLIENT_NAME);
  context.subscriptions.push(output);
  const ctl = new ServerController({
    workspace: vscode.workspace,
    window: vscode.window,
    commands: vscode.commands,
    env: vscode.env,
    probe: nodeProbe,
    output,
  });
  controller = ctl;

  const commands = new DlmCommands({ host: ctl, window: vscode.window, output });
  context.subscriptions.push(...commands.register(vscode.commands));

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (LAUNCH_SETTINGS.some((key) => event.affectsConfiguration(key))) {
        const choice = await vscode.window.showInformationMessage(
          'DLM: restart the language server to use the new server setting?',
          'Restart',
        );
        if (choice) await ctl.restart();
      }
    }),
    // once trusted, workspace values of the restricted settings apply: start afresh
    vscode.workspace.onDidGrantWorkspaceTrust(() => ctl.restart()),
    { dispose: () => void ctl.stop() },
  );

  await ctl.readyClient();
  return ctl;
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}
