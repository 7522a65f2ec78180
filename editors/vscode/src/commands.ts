/**
 * The palette commands (`dlmSynth.*`). Each reads the active `.dlm` editor, sends one
 * server command through `workspace/executeCommand` (typed by protocol.ts), and shows
 * the server's message about the outcome (results.ts).
 */

import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient } from 'vscode-languageclient/node';
import { listItems, revertItems, SynthPickItem } from './listView';
import { withCancellableProgress } from './progress';
import {
  ApplyStagedResult,
  CancelArgs,
  CancelResult,
  DocumentArgs,
  ListResult,
  Message,
  RevertArgs,
  RevertResult,
  ReviewArgs,
  ServerCommand,
  ServerCommandId,
  SynthesizeArgs,
  SynthesizeDocumentArgs,
  SynthesizeResult,
} from './protocol';
import { buttons, DETAILS, Notice, notice } from './results';
import { ReviewIO, runReview } from './review';
import { LANGUAGE_ID, PaletteCommand } from './serverIds';

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
      [PaletteCommand.review, () => this.review()],
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
    const payload: SynthesizeArgs = {
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
    const payload: SynthesizeDocumentArgs = { uri: this.uri(client, editor.document) };
    await this.synthesize(client, ServerCommand.synthesizeDocument, payload, 'DLM: synthesizing instructions for the document');
  }

  async revert(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    const { client, editor } = target;
    const uri = this.uri(client, editor.document);
    const listed = await this.send<ListResult>(client, ServerCommand.list, { uri } satisfies DocumentArgs);
    if (!listed) return;
    if (listed.applied.length === 0) {
      this.notify({ severity: 'info', text: 'DLM: there are no synthesized instructions in this document.' });
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
    const payload: RevertArgs =
      picked.kindOf === 'all' ? { uri, quiet: true } : { uri, sectionId: picked.entry?.sectionId, quiet: true };
    const result = await this.send<RevertResult>(client, ServerCommand.revert, payload);
    if (result) await this.show(client, result.message);
  }

  async list(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    const { client, editor } = target;
    const args: DocumentArgs = { uri: this.uri(client, editor.document) };
    const result = await this.send<ListResult>(client, ServerCommand.list, args);
    if (!result) return;
    if (result.applied.length === 0 && result.staged.length === 0) {
      this.notify({ severity: 'info', text: 'DLM: there are no synthesized instructions in this document.' });
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
    const args: CancelArgs = { uri: this.uri(client, editor.document) };
    const result = await this.send<CancelResult>(client, ServerCommand.cancel, args);
    if (result) await this.show(client, result.message);
  }

  async applyStaged(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    const { client, editor } = target;
    const args: DocumentArgs = { uri: this.uri(client, editor.document) };
    const result = await withCancellableProgress(this.deps.window, 'DLM: applying staged instructions', (token) =>
      this.send<ApplyStagedResult>(client, ServerCommand.applyStaged, args, token),
    );
    if (result) await this.show(client, result.message);
  }

  /** The pairs of the document's latest preview-mode job, awaiting review (review.ts). */
  async review(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    const { client, editor } = target;
    await this.runReview(client, { uri: this.uri(client, editor.document) });
  }

  // -- helpers ----------------------------------------------------------------------

  private async runReview(client: LanguageClient, args: ReviewArgs): Promise<void> {
    const io: ReviewIO = {
      send: (command, payload) => this.send(client, command, payload),
      window: this.deps.window,
    };
    const message = await runReview(io, args);
    if (message) await this.show(client, message);
  }

  private async synthesize(
    client: LanguageClient,
    command: ServerCommandId,
    payload: SynthesizeDocumentArgs,
    title: string,
  ): Promise<void> {
    // quiet: the server leaves showing the outcome to us (its message is in the result)
    const result = await withCancellableProgress(this.deps.window, title, (token) =>
      this.send<SynthesizeResult>(client, command, { ...payload, quiet: true }, token, true),
    );
    if (result) await this.show(client, result.message);
  }

  /**
   * One `workspace/executeCommand`. The token (from the progress notification) goes
   * to the request itself, so cancelling sends `$/cancelRequest`. Errors are shown
   * here; the caller gets undefined.
   */
  async send<T>(
    client: LanguageClient,
    command: ServerCommandId,
    payload: object,
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
        if (cancellable) this.notify({ severity: 'info', text: 'DLM: synthesis cancelled.' });
        return undefined;
      }
      this.deps.output.appendLine(`${command} failed: ${errorText(error)}`);
      this.notify({ severity: 'error', text: `DLM: ${errorText(error)}` });
      return undefined;
    }
  }

  /**
   * The server's message: logged with its details, shown at its severity with its
   * actions as buttons (a picked action runs that server command and shows its own
   * message) and a details button that opens the log.
   */
  private async show(client: LanguageClient, message: Message): Promise<void> {
    const { output } = this.deps;
    const shown = notice(message);
    output.appendLine(shown.text);
    for (const line of message.details ?? []) output.appendLine(`  ${line}`);
    const picked = await this.notify(shown, buttons(message));
    if (picked === DETAILS) {
      output.show(true);
      return;
    }
    const action = (message.actions ?? []).find((a) => a.title === picked);
    if (!action) return;
    if (action.command === ServerCommand.review) {
      // the review opens only now, because the user asked for it
      await this.runReview(client, (action.arguments?.[0] ?? {}) as ReviewArgs);
      return;
    }
    const result = await this.send<{ message?: Message }>(
      client,
      action.command as ServerCommandId,
      action.arguments?.[0] ?? {},
    );
    if (result?.message) await this.show(client, result.message);
  }

  /** One notification; resolves to the button picked, if any. */
  private async notify(message: Notice, items: string[] = []): Promise<string | undefined> {
    const { window, output } = this.deps;
    switch (message.severity) {
      case 'info':
        return window.showInformationMessage(message.text, ...items);
      case 'warning':
        return window.showWarningMessage(message.text, ...items);
      case 'error':
        return window.showErrorMessage(message.text, ...items);
      case 'none':
        output.appendLine(message.text);
        return undefined;
    }
  }

  private uri(client: LanguageClient, document: vscode.TextDocument): string {
    // the same conversion the client used for didOpen, so the server finds the document
    return client.code2ProtocolConverter.asUri(document.uri);
  }

  private async target(): Promise<{ client: LanguageClient; editor: vscode.TextEditor } | undefined> {
    const editor = this.deps.window.activeTextEditor;
    if (!editor || editor.document.languageId !== LANGUAGE_ID) {
      void this.notify({ severity: 'info', text: 'DLM: open a .dlm document first.' });
      return undefined;
    }
    const client = await this.deps.host.readyClient();
    return client ? { client, editor } : undefined;
  }
}
