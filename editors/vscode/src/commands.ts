/**
 * The palette commands (`dlmSynth.*`). Each reads the active `.dlm` editor, sends one
 * server command through `workspace/executeCommand`, and reports the result.
 */

import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient } from 'vscode-languageclient/node';
import { listItems, revertItems, SynthPickItem } from './listView';
import { withCancellableProgress } from './progress';
import {
  ApplyStagedResult,
  describeApplyStaged,
  describeCancel,
  describeRevert,
  describeSynthesis,
  ListResult,
  Message,
  SynthResult,
} from './results';
import { LANGUAGE_ID, PaletteCommand, ServerCommand, ServerCommandId } from './serverIds';

/** The part of the extension that owns the client (extension.ts: ServerController). */
export interface ClientHost {
  /** the running client, or undefined after telling the user why there is none */
  readyClient(): Promise<LanguageClient | undefined>;
  restart(): Promise<void>;
}

type VsWindow = Pick<
  typeof vscode.window,
  | 'activeTextEditor'
  | 'showInformationMessage'
  | 'showWarningMessage'
  | 'showErrorMessage'
  | 'showQuickPick'
  | 'withProgress'
>;

export interface CommandDeps {
  host: ClientHost;
  window: VsWindow;
  output: Pick<vscode.OutputChannel, 'appendLine' | 'show'>;
}

/** JSON-RPC codes that mean “the request was cancelled” (RequestCancelled, ServerCancelled). */
const CANCELLED_CODES = new Set([-32800, -32802]);

export function isCancellation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && CANCELLED_CODES.has(code);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class DlmCommands {
  constructor(private readonly deps: CommandDeps) {}

  /** [palette id, handler] for registration in extension.ts (and for tests). */
  handlers(): Array<[string, () => Promise<void>]> {
    return [
      [PaletteCommand.synthesizeSection, () => this.synthesizeSection()],
      [PaletteCommand.synthesizeDocument, () => this.synthesizeDocument()],
      [PaletteCommand.revert, () => this.revert()],
      [PaletteCommand.list, () => this.list()],
      [PaletteCommand.cancel, () => this.cancel()],
      [PaletteCommand.applyStaged, () => this.applyStaged()],
      [PaletteCommand.restartServer, () => this.deps.host.restart()],
    ];
  }

  register(commands: Pick<typeof vscode.commands, 'registerCommand'>): vscode.Disposable[] {
    return this.handlers().map(([id, run]) => commands.registerCommand(id, run));
  }

  // -- commands ---------------------------------------------------------------------

  async synthesizeSection(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    const { client, editor } = target;
    const sel = editor.selection;
    // The server finds the prose section around `range`; a non-empty selection also
    // limits the teacher to the selected text.
    const payload = {
      uri: this.uri(client, editor.document),
      range: {
        start: { line: sel.start.line, character: sel.start.character },
        end: { line: sel.end.line, character: sel.end.character },
      },
    };
    const title = sel.isEmpty
      ? 'DLM: synthesizing instructions for the section'
      : 'DLM: synthesizing instructions for the selection';
    await this.synthesize(client, ServerCommand.synthesize, payload, title);
  }

  async synthesizeDocument(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    const { client, editor } = target;
    await this.synthesize(
      client,
      ServerCommand.synthesizeDocument,
      { uri: this.uri(client, editor.document) },
      'DLM: synthesizing instructions for the document',
    );
  }

  async revert(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    const { client, editor } = target;
    const uri = this.uri(client, editor.document);
    const listed = await this.send<ListResult>(client, ServerCommand.list, { uri });
    if (!listed) return;
    if (listed.applied.length === 0) {
      this.show({ severity: 'info', text: 'DLM: there are no synthesized instructions in this document.' });
      return;
    }
    const { items, preselect } = revertItems(listed, editor.selection.active.line);
    if (preselect) {
      // the section under the cursor first: the likely intent
      items.splice(items.indexOf(preselect), 1);
      items.splice(0, 0, preselect);
    }
    const picked = await this.deps.window.showQuickPick(items, {
      title: 'Revert synthesized instructions',
      placeHolder: 'Remove which synthesized section(s)?',
    });
    if (!picked) return;
    const payload = picked.kindOf === 'all' ? { uri } : { uri, sectionId: picked.entry?.sectionId };
    const result = await this.send<{ removed: number; error?: string }>(client, ServerCommand.revert, payload);
    if (result) this.show(describeRevert(result));
  }

  async list(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    const { client, editor } = target;
    const result = await this.send<ListResult>(client, ServerCommand.list, { uri: this.uri(client, editor.document) });
    if (!result) return;
    if (result.applied.length === 0 && result.staged.length === 0) {
      this.show({ severity: 'info', text: 'DLM: there are no synthesized instructions in this document.' });
      return;
    }
    const reveal = (item: SynthPickItem | undefined, select: boolean): void => {
      const range = item?.kindOf === 'applied' ? item.entry?.range : undefined;
      if (!range) return;
      const r = client.protocol2CodeConverter.asRange(range);
      editor.revealRange(r, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      if (select) editor.selection = new vscode.Selection(r.start, r.start);
    };
    const picked = await this.deps.window.showQuickPick(listItems(result), {
      title: `Synthesized instructions: ${result.applied.length} in the document, ${result.staged.length} staged`,
      placeHolder: 'Go to a synthesized section',
      matchOnDescription: true,
      matchOnDetail: true,
      onDidSelectItem: (item) => reveal(item as SynthPickItem, false),
    });
    if (!picked) return;
    if (picked.kindOf === 'staged') {
      const choice = await this.deps.window.showInformationMessage(
        'This pair is staged in the dlm store, not in the document yet.',
        'Apply staged instructions',
      );
      if (choice) await this.applyStaged();
      return;
    }
    reveal(picked, true);
  }

  async cancel(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    const { client, editor } = target;
    const result = await this.send<{ cancelled: number }>(client, ServerCommand.cancel, {
      uri: this.uri(client, editor.document),
    });
    if (result) this.show(describeCancel({ cancelled: Number(result.cancelled) }));
  }

  async applyStaged(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    const { client, editor } = target;
    const uri = this.uri(client, editor.document);
    const result = await withCancellableProgress(this.deps.window, 'DLM: applying staged instructions', (token) =>
      this.send<ApplyStagedResult>(client, ServerCommand.applyStaged, { uri }, token),
    );
    if (result) this.show(describeApplyStaged(result));
  }

  // -- helpers ----------------------------------------------------------------------

  private async synthesize(
    client: LanguageClient,
    command: ServerCommandId,
    payload: Record<string, unknown>,
    title: string,
  ): Promise<void> {
    const result = await withCancellableProgress(this.deps.window, title, (token) =>
      this.send<SynthResult>(client, command, { ...payload, quiet: true }, token, true),
    );
    if (!result) return;
    const message = describeSynthesis(result);
    this.deps.output.appendLine(message.text);
    for (const pair of result.rejectedPairs ?? []) {
      this.deps.output.appendLine(`  rejected (${pair.reason ?? 'unknown'}): ${pair.detail ?? ''} ${pair.question ?? ''}`.trimEnd());
    }
    this.show(message);
  }

  /**
   * One `workspace/executeCommand`. The token (from the progress notification) goes
   * to the request itself, so cancelling sends `$/cancelRequest`. Errors are shown
   * here; the caller gets undefined.
   */
  async send<T>(
    client: LanguageClient,
    command: ServerCommandId,
    payload: Record<string, unknown>,
    token?: vscode.CancellationToken,
    cancellable = false,
  ): Promise<T | undefined> {
    const params = { command, arguments: [payload] };
    try {
      const result: unknown =
        token === undefined
          ? await client.sendRequest(ExecuteCommandRequest.type, params)
          : await client.sendRequest(ExecuteCommandRequest.type, params, token);
      return (result ?? undefined) as T | undefined;
    } catch (error) {
      if (isCancellation(error) || token?.isCancellationRequested) {
        if (cancellable) this.show({ severity: 'info', text: 'DLM: synthesis cancelled.' });
        return undefined;
      }
      this.deps.output.appendLine(`${command} failed: ${errorText(error)}`);
      this.show({ severity: 'error', text: `DLM: ${errorText(error)}` });
      return undefined;
    }
  }

  private show(message: Message): void {
    const { window, output } = this.deps;
    switch (message.severity) {
      case 'info':
        void window.showInformationMessage(message.text);
        break;
      case 'warning':
        void window.showWarningMessage(message.text, 'Show details').then((choice) => {
          if (choice) output.show(true);
        });
        break;
      case 'error':
        void window.showErrorMessage(message.text);
        break;
      case 'none':
        output.appendLine(message.text);
        break;
    }
  }

  private uri(client: LanguageClient, document: vscode.TextDocument): string {
    // the same conversion the client used for didOpen, so the server finds the document
    return client.code2ProtocolConverter.asUri(document.uri);
  }

  private async target(): Promise<{ client: LanguageClient; editor: vscode.TextEditor } | undefined> {
    const editor = this.deps.window.activeTextEditor;
    if (!editor || editor.document.languageId !== LANGUAGE_ID) {
      this.show({ severity: 'info', text: 'DLM: open a .dlm document first.' });
      return undefined;
    }
    const client = await this.deps.host.readyClient();
    return client ? { client, editor } : undefined;
  }
}
