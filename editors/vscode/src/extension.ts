/**
 * Entry point: starts the DLM language server for `.dlm` documents, registers the
 * palette commands, routes the server commands of code actions and lenses through
 * them, and keeps the language status item current. Activation is implicit
 * (`onLanguage:dlm` from the contributed language), so nothing runs until a .dlm
 * file is opened.
 */

import * as vscode from 'vscode';
import { ExecuteCommandRequest } from 'vscode-languageclient/node';
import { CLIENT_NAME, ServerController } from './client';
import { DlmCommands } from './commands';
import { ServerCommand, StatusArgs, StatusResult } from './protocol';
import { LANGUAGE_ID, PaletteCommand, SECTION } from './serverIds';
import { openSetting } from './settingsUi';
import { STATUS_MENU_COMMAND, StatusView } from './status';
import { nodeProbe, onInterpreterChange, selectedInterpreter } from './system';

let controller: ServerController | undefined;

/** Settings that change which program runs; the server cannot pick them up live. */
const LAUNCH_SETTINGS = [`${SECTION}.server.path`, 'python.defaultInterpreterPath'];

export async function activate(context: vscode.ExtensionContext): Promise<ServerController> {
  const output = vscode.window.createOutputChannel(CLIENT_NAME);
  context.subscriptions.push(output);
  // what a bug report needs first, and what decides where settings open
  output.appendLine(
    `VS Code ${vscode.version}, ${vscode.env.remoteName ? `remote window (${vscode.env.remoteName})` : 'local window'}, ` +
      `workspace ${vscode.workspace.isTrusted ? 'trusted' : 'not trusted'}`,
  );
  const folderUri = (): vscode.Uri | undefined => vscode.workspace.workspaceFolders?.[0]?.uri;
  const ctl = new ServerController({
    workspace: vscode.workspace,
    window: vscode.window,
    commands: vscode.commands,
    probe: nodeProbe,
    output,
    interpreter: () => selectedInterpreter(vscode.extensions, folderUri()),
    remoteName: vscode.env.remoteName,
  });
  controller = ctl;

  const commands = new DlmCommands({
    host: ctl,
    window: vscode.window,
    output,
    commands: vscode.commands,
    workspace: vscode.workspace,
    remoteName: vscode.env.remoteName,
  });
  context.subscriptions.push(...commands.register(vscode.commands));
  ctl.setCommandRouter(async (command, args, next) => {
    const client = ctl.current;
    // revealSource only shows a document: nothing to report
    if (!client || command === ServerCommand.revealSource) return next(command, args);
    await commands.run(client, command, args[0]);
    return undefined;
  });

  // -- the language status item ----------------------------------------------------
  const serverItem = vscode.languages.createLanguageStatusItem('dlmSynth.server', { language: LANGUAGE_ID });
  const synthesisItem = vscode.languages.createLanguageStatusItem('dlmSynth.synthesis', { language: LANGUAGE_ID });
  const status = new StatusView(serverItem, synthesisItem);
  let refreshing: ReturnType<typeof setTimeout> | undefined;
  const refresh = (): void => {
    clearTimeout(refreshing);
    refreshing = setTimeout(async () => {
      const client = ctl.current;
      const editor = vscode.window.activeTextEditor;
      if (!client || ctl.state.kind !== 'running') return;
      const uri = editor?.document.languageId === LANGUAGE_ID ? client.code2ProtocolConverter.asUri(editor.document.uri) : undefined;
      try {
        const args: StatusArgs = { uri };
        const answer = (await client.sendRequest(ExecuteCommandRequest.type, { command: ServerCommand.status, arguments: [args] })) as StatusResult;
        status.setChoice(answer);
      } catch (error) {
        output.appendLine(`status: ${String(error)}`);
      }
    }, 200);
  };
  context.subscriptions.push(
    serverItem,
    synthesisItem,
    ctl.onStateChange((state) => {
      status.setServer(state);
      if (state.kind === 'running') refresh();
    }),
    commands.onJobsChanged((titles) => {
      status.setJobs(titles);
      if (titles.length === 0) refresh();
    }),
    vscode.window.onDidChangeActiveTextEditor(refresh),
    vscode.commands.registerCommand(STATUS_MENU_COMMAND, () => statusMenu(ctl, output, status)),
    { dispose: () => clearTimeout(refreshing) },
  );

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration(SECTION)) refresh();
      if (LAUNCH_SETTINGS.some((key) => event.affectsConfiguration(key))) {
        await offerRestart(ctl, 'restart the language server to use the new server setting?');
      }
    }),
    // once trusted, workspace values of the restricted settings apply: start afresh
    vscode.workspace.onDidGrantWorkspaceTrust(() => ctl.restart()),
    { dispose: () => void ctl.stop() },
  );
  const interpreterChanges = await onInterpreterChange(vscode.extensions, () => {
    void offerRestart(ctl, 'restart the language server with the interpreter now selected in the Python extension?');
  });
  if (interpreterChanges) context.subscriptions.push(interpreterChanges);

  await ctl.readyClient();
  return ctl;
}

async function offerRestart(ctl: ServerController, question: string): Promise<void> {
  // a server that is not running is simply started again
  if (ctl.state.kind !== 'running') {
    await ctl.restart();
    return;
  }
  const choice = await vscode.window.showInformationMessage(`dlm-synth: ${question}`, 'Restart');
  if (choice) await ctl.restart();
}

/** The status item's menu. */
async function statusMenu(ctl: ServerController, output: vscode.OutputChannel, status: StatusView): Promise<void> {
  const items = ['Restart server', 'Show log', 'Open settings', 'Cancel synthesis'];
  const picked = await vscode.window.showQuickPick(items, { title: `dlm-synth: ${status.describe()}` });
  if (picked === 'Restart server') await ctl.restart();
  else if (picked === 'Show log') output.show(true);
  else if (picked === 'Open settings') await openSetting(vscode.commands, '', vscode.env.remoteName);
  else if (picked === 'Cancel synthesis') await vscode.commands.executeCommand(PaletteCommand.cancel);
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}
