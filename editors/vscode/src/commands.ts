/**
 * Every way a server command is started (palette, light bulb, quick fix, code lens,
 * a button in one of the server's messages) goes through `DlmCommands.run`, so each
 * looks and behaves the same: synthesis runs under a notification with a working
 * Cancel and the server's per-section steps, then one message with the server's
 * wording, its follow-ups (Review… / Undo / Apply staged instructions) as buttons and
 * the reasons behind "Show details"; "N synthesized pairs" opens the pick list.
 *
 * vscode-languageclient would send the commands that code actions and lenses carry
 * and drop their results; `client.ts` routes them here instead (middleware).
 */

import { randomUUID } from 'crypto';
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
} from 'vscode-languageclient/node';
import { listItems, revertItems, SynthPickItem } from './listView';
import {
  ApplyStagedResult,
  CancelArgs,
  ClientCommand,
  DocumentArgs,
  ListArgs,
  ListResult,
  Message,
  RevertArgs,
  ReviewArgs,
  ServerCommand,
  ServerCommandId,
  SynthesizeArgs,
  SynthesizeDocumentArgs,
  SynthesizeResult,
} from './protocol';
import { buttons, DETAILS, notice, Notice, prefixed } from './results';
import { INSTALL_STEPS } from './serverCommand';
import { ReviewIO, runReview } from './review';
import { LANGUAGE_ID, PaletteCommand } from './serverIds';
import { openSetting, remember } from './settingsUi';

/** The part of the extension that owns the client (client.ts: ServerController). */
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
  commands?: Pick<typeof vscode.commands, 'executeCommand'>;
  workspace?: Pick<typeof vscode.workspace, 'getConfiguration'>;
  /** `vscode.env.remoteName`: settings open on the Remote tab in a remote window */
  remoteName?: string | undefined;
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

/** The server's own words for a job it never got to answer (cancelled before it began). */
const CANCELLED: Notice = { severity: 'info', text: prefixed('Synthesis cancelled.') };

const SYNTHESIS_TITLES: Partial<Record<ServerCommandId, string>> = {
  [ServerCommand.synthesize]: 'Synthesizing instructions',
  [ServerCommand.synthesizeDocument]: 'Synthesizing instructions for the document',
};

export class DlmCommands {
  private readonly running = new Map<string, string>();
  private readonly jobsChanged = new Set<(titles: string[]) => void>();

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

  /** Called with the titles of the synthesis jobs running (the status item). */
  onJobsChanged(listener: (titles: string[]) => void): vscode.Disposable {
    this.jobsChanged.add(listener);
    return { dispose: () => this.jobsChanged.delete(listener) };
  }

  // -- the palette ------------------------------------------------------------------

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
    await this.synthesize(client, ServerCommand.synthesize, payload);
  }

  async synthesizeDocument(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    const { client, editor } = target;
    const payload: SynthesizeDocumentArgs = { uri: this.uri(client, editor.document) };
    await this.synthesize(client, ServerCommand.synthesizeDocument, payload);
  }

  async revert(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    const { client, editor } = target;
    const uri = this.uri(client, editor.document);
    const listed = await this.send<ListResult>(client, ServerCommand.list, { uri } satisfies ListArgs);
    if (!listed) return;
    if (listed.applied.length === 0) {
      // nothing to choose from: the server says so, in its words
      await this.run(client, ServerCommand.revert, { uri } satisfies RevertArgs);
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
    const payload: RevertArgs = picked.kindOf === 'all' ? { uri } : { uri, sectionId: picked.entry?.sectionId };
    await this.run(client, ServerCommand.revert, payload);
  }

  async list(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    await this.showList(target.client, { uri: this.uri(target.client, target.editor.document) });
  }

  async cancel(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    const { client, editor } = target;
    await this.run(client, ServerCommand.cancel, { uri: this.uri(client, editor.document) } satisfies CancelArgs);
  }

  async applyStaged(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    const { client, editor } = target;
    await this.run(client, ServerCommand.applyStaged, { uri: this.uri(client, editor.document) } satisfies DocumentArgs);
  }

  // -- every entry point ----------------------------------------------------------------

  /**
   * Runs one server command the way every entry point does (the palette, code
   * actions, code lenses and message buttons all end here), or one of the client
   * commands a message may offer.
   */
  async run(client: LanguageClient, command: string, argument: unknown, title?: string): Promise<void> {
    const arg = (argument ?? {}) as Record<string, unknown>;
    switch (command) {
      case ServerCommand.synthesize:
      case ServerCommand.synthesizeDocument:
        await this.synthesize(client, command, arg as unknown as SynthesizeDocumentArgs);
        return;
      case ServerCommand.list:
        // "N synthesized pairs" and, after an insertion, "Review N pairs…"
        await this.showList(client, arg as unknown as ListArgs, title);
        return;
      case ServerCommand.review:
        // a job awaiting review (applyMode preview): the pick list that decides
        await this.runReview(client, arg as unknown as ReviewArgs);
        return;
      case ServerCommand.applyStaged: {
        const result = await this.deps.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: prefixed('Applying staged instructions'), cancellable: true },
          (_progress, token) => this.send<ApplyStagedResult>(client, command, arg, token),
        );
        if (result?.message) await this.show(client, result.message);
        return;
      }
      case ClientCommand.openSetting:
        await openSetting(this.vsCommands(), String(arg.setting ?? ''), this.deps.remoteName);
        return;
      case ClientCommand.rememberSettings:
        await this.rememberSettings(arg.settings as Record<string, unknown> | undefined);
        return;
      default: {
        const result = await this.send<{ message?: Message }>(client, command as ServerCommandId, arg);
        if (result?.message) await this.show(client, result.message);
      }
    }
  }

  /**
   * A synthesis job under a notification: its Cancel cancels this job (the server
   * then answers with what happened, staged pairs included), the server's progress
   * messages (one per section) show in it, and the result is one message.
   */
  async synthesize(client: LanguageClient, command: ServerCommandId, payload: SynthesizeDocumentArgs): Promise<void> {
    const title = SYNTHESIS_TITLES[command] ?? 'Synthesizing instructions';
    const key = randomUUID();
    this.running.set(key, title);
    this.fireJobs();
    try {
      const result = await this.deps.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: prefixed(title), cancellable: true },
        (progress, cancel) => this.withServerProgress(client, command, payload, progress, cancel),
      );
      if (result) await this.show(client, result.message);
    } finally {
      this.running.delete(key);
      this.fireJobs();
    }
  }

  private async withServerProgress(
    client: LanguageClient,
    command: ServerCommandId,
    payload: SynthesizeDocumentArgs,
    progress: vscode.Progress<{ message?: string; increment?: number }>,
    cancel: vscode.CancellationToken,
  ): Promise<SynthesizeResult | undefined> {
    // The request carries our own progress token: the server reports on it (into
    // this notification) instead of opening a status-bar progress of its own.
    const token = `dlm-synth-${randomUUID()}`;
    let begun = false;
    let done = 0;
    const reports = client.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind === 'end') return;
      begun = true;
      const increment = value.percentage !== undefined ? Math.max(0, value.percentage - done) : undefined;
      if (value.percentage !== undefined) done = Math.max(done, value.percentage);
      progress.report({ message: value.message, increment });
    });
    // Cancel: once the job began, through its progress token, so the job ends and
    // answers (what it accepted is staged and said); before that, the request itself.
    const requestCancel = new vscode.CancellationTokenSource();
    const onCancel = cancel.onCancellationRequested(() => {
      if (begun) void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
      else requestCancel.cancel();
    });
    try {
      const params = { command, arguments: [payload], workDoneToken: token };
      const result: unknown = await client.sendRequest(ExecuteCommandRequest.type, params, requestCancel.token);
      return (result ?? undefined) as SynthesizeResult | undefined;
    } catch (error) {
      if (isCancellation(error) || requestCancel.token.isCancellationRequested) {
        void this.notify(CANCELLED);
      } else {
        this.failed(command, error);
      }
      return undefined;
    } finally {
      onCancel.dispose();
      reports.dispose();
      requestCancel.dispose();
    }
  }

  /** The synthesized pairs `args` selects in a pick list; picking one goes to it. */
  async showList(client: LanguageClient, args: ListArgs, title?: string): Promise<void> {
    const result = await this.send<ListResult>(client, ServerCommand.list, args);
    if (!result) return;
    if (result.applied.length === 0 && result.staged.length === 0) {
      void this.notify({ severity: 'info', text: prefixed('There are no synthesized instructions here.') });
      return;
    }
    const editor = this.editorFor(client, args.uri);
    const reveal = (item: SynthPickItem | undefined, select: boolean): void => {
      const range = item?.kindOf === 'applied' ? item.entry?.range : undefined;
      if (!range || !editor) return;
      const r = client.protocol2CodeConverter.asRange(range);
      editor.revealRange(r, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      if (select) editor.selection = new vscode.Selection(r.start, r.start);
    };
    const scope = args.sectionIds
      ? 'just inserted'
      : args.sourceSectionId
        ? 'from this section'
        : `${result.applied.length} in the document, ${result.staged.length} staged`;
    const picked = await this.deps.window.showQuickPick(listItems(result), {
      title: title?.replace(/…$/, '') ?? `Synthesized instructions: ${scope}`,
      placeHolder: 'Go to a synthesized section',
      matchOnDescription: true,
      matchOnDetail: true,
      onDidSelectItem: (item) => reveal(item as SynthPickItem, false),
    });
    if (!picked) return;
    if (picked.kindOf === 'staged') {
      const apply = 'Apply staged instructions';
      const choice = await this.deps.window.showInformationMessage(
        prefixed('This pair is staged in the dlm store, not in the document yet.'),
        apply,
      );
      if (choice) await this.run(client, ServerCommand.applyStaged, { uri: args.uri } satisfies DocumentArgs);
      return;
    }
    reveal(picked, true);
  }

  /** The pairs of the document's latest job run with `applyMode: preview`, awaiting review (review.ts). */
  async review(): Promise<void> {
    const target = await this.target();
    if (!target) return;
    const { client, editor } = target;
    await this.runReview(client, { uri: this.uri(client, editor.document) } satisfies ReviewArgs);
  }

  // -- helpers ----------------------------------------------------------------------

  /** The review pick list, opened only when the user asks for it; its decision's message. */
  private async runReview(client: LanguageClient, args: ReviewArgs): Promise<void> {
    const io: ReviewIO = {
      send: (command, payload) => this.send(client, command, payload),
      window: this.deps.window,
    };
    const message = await runReview(io, args);
    if (message) await this.show(client, message);
  }

  /**
   * One `workspace/executeCommand`. The token (from a progress notification) goes
   * to the request itself, so cancelling sends `$/cancelRequest`. Errors are shown
   * here; the caller gets undefined.
   */
  async send<T>(
    client: LanguageClient,
    command: ServerCommandId,
    payload: object,
    token?: vscode.CancellationToken,
  ): Promise<T | undefined> {
    const params = { command, arguments: [payload] };
    try {
      const result: unknown =
        token === undefined
          ? await client.sendRequest(ExecuteCommandRequest.type, params)
          : await client.sendRequest(ExecuteCommandRequest.type, params, token);
      return (result ?? undefined) as T | undefined;
    } catch (error) {
      if (isCancellation(error) || token?.isCancellationRequested) return undefined;
      this.failed(command, error);
      return undefined;
    }
  }

  /** A request the server refused (a bad argument): its error text, as it wrote it. */
  private failed(command: string, error: unknown): void {
    this.deps.output.appendLine(`${command} failed: ${errorText(error)}`);
    void this.notify({ severity: 'error', text: prefixed(errorText(error)) });
  }

  /**
   * The server's message: logged with its details, shown at its severity with its
   * actions as buttons (a picked action runs like any other entry point) and a
   * details button that opens the log.
   */
  async show(client: LanguageClient, message: Message): Promise<void> {
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
    if (action) await this.run(client, action.command, action.arguments?.[0], action.title);
  }

  private async rememberSettings(values: Record<string, unknown> | undefined): Promise<void> {
    if (!values || !this.deps.workspace) return;
    const written = await remember(this.deps.workspace, values);
    void this.notify({ severity: 'info', text: prefixed(`Kept in your user settings: ${written.join(', ')}.`) });
  }

  /** Shows the steps to install the server (the not-found message's button). */
  showInstallSteps(): void {
    for (const line of INSTALL_STEPS) this.deps.output.appendLine(line);
    this.deps.output.show(true);
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

  private fireJobs(): void {
    const titles = [...this.running.values()];
    for (const listener of this.jobsChanged) listener(titles);
  }

  private vsCommands(): Pick<typeof vscode.commands, 'executeCommand'> {
    return this.deps.commands ?? vscode.commands;
  }

  private uri(client: LanguageClient, document: vscode.TextDocument): string {
    // the same conversion the client used for didOpen, so the server finds the document
    return client.code2ProtocolConverter.asUri(document.uri);
  }

  /** The visible editor of `uri`, if it is the active one (to reveal list entries). */
  private editorFor(client: LanguageClient, uri: string): vscode.TextEditor | undefined {
    const editor = this.deps.window.activeTextEditor;
    return editor && this.uri(client, editor.document) === uri ? editor : undefined;
  }

  private async target(): Promise<{ client: LanguageClient; editor: vscode.TextEditor } | undefined> {
    const editor = this.deps.window.activeTextEditor;
    if (!editor || editor.document.languageId !== LANGUAGE_ID) {
      void this.notify({ severity: 'info', text: prefixed('open a .dlm document first.') });
      return undefined;
    }
    const client = await this.deps.host.readyClient();
    return client ? { client, editor } : undefined;
  }
}
