/**
 * Owns the LanguageClient: finds the server program, starts, stops and restarts it,
 * reports its state (the status item), and says clearly what to do when the server
 * cannot be found or started.
 *
 * It also makes the server's words reach the user the same way from every entry
 * point: commands that code actions and code lenses carry are routed to
 * `DlmCommands` (middleware), and the server's own messages and questions are shown
 * behind the common prefix, a question's "remember" choice writing the setting.
 */

import * as os from 'os';
import * as vscode from 'vscode';
import {
  ConfigurationParams,
  ExecuteCommandSignature,
  LanguageClient,
  LanguageClientOptions,
  MessageActionItem,
  RevealOutputChannelOn,
  ServerOptions,
  ShowMessageNotification,
  ShowMessageParams,
  ShowMessageRequest,
  ShowMessageRequestParams,
  StaticFeature,
} from 'vscode-languageclient/node';
import { Choice, EXPERIMENTAL } from './protocol';
import { RestartPolicy } from './restartPolicy';
import { prefixed, severityOf } from './results';
import {
  INSTALL_STEPS,
  isNotFound,
  LaunchSource,
  resolveServerLaunch,
  ServerLaunch,
  SOURCE_LABELS,
  SystemProbe,
} from './serverCommand';
import { LANGUAGE_ID, SECTION } from './serverIds';
import { readLaunchSettings, readServerSettings, TrustView } from './settings';
import { openSetting, remember } from './settingsUi';
import { ServerState } from './status';

export const CLIENT_ID = 'dlmSynth'; // languageclient reads `dlmSynth.trace.server` by this id
export const CLIENT_NAME = 'DLM Synth';

type VsWorkspace = Pick<typeof vscode.workspace, 'getConfiguration' | 'workspaceFolders' | 'isTrusted'>;
type VsWindow = Pick<typeof vscode.window, 'showErrorMessage' | 'showWarningMessage' | 'showInformationMessage'>;

/** Where a server command that a code action or lens carries is run instead. */
export type CommandRouter = (command: string, args: unknown[], next: ExecuteCommandSignature) => Promise<unknown>;

export interface ControllerDeps {
  workspace: VsWorkspace;
  window: VsWindow;
  commands: Pick<typeof vscode.commands, 'executeCommand'>;
  probe: SystemProbe;
  output: vscode.OutputChannel;
  /** the interpreter selected in the Python extension (system.ts) */
  interpreter?: () => Promise<string | undefined>;
  /** `vscode.env.remoteName` */
  remoteName?: string | undefined;
  /** created per start; tests pass a fake constructor */
  createClient?: (serverOptions: ServerOptions, clientOptions: LanguageClientOptions) => LanguageClient;
}

export function serverOptions(launch: ServerLaunch, cwd: string | undefined): ServerOptions {
  // transport left undefined: stdio without languageclient appending its own --stdio
  const run = { command: launch.command, args: launch.args, options: cwd ? { cwd } : {} };
  return { run, debug: run };
}

export function clientOptions(
  workspace: VsWorkspace,
  output: vscode.OutputChannel,
  errorHandler: RestartPolicy,
  route?: () => CommandRouter | undefined,
): LanguageClientOptions {
  const trust: TrustView = { get isTrusted() { return workspace.isTrusted; } };
  return {
    documentSelector: [
      { scheme: 'file', language: LANGUAGE_ID },
      { scheme: 'untitled', language: LANGUAGE_ID },
    ],
    synchronize: { configurationSection: SECTION },
    initializationOptions: readServerSettings(workspace, trust),
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    errorHandler,
    middleware: {
      // code actions, code lenses and quick fixes run like the palette commands
      executeCommand: async (command, args, next) => {
        const router = route?.();
        return router ? router(command, args, next) : next(command, args);
      },
      workspace: {
        // Answer the server's `workspace/configuration` pull for our section with the
        // trust-filtered settings; other sections go the default way.
        configuration: async (params: ConfigurationParams, token, next) => {
          const base = await next(params, token);
          if (!Array.isArray(base)) return base;
          return base.map((value, i) => {
            const item = params.items[i];
            if (item?.section !== SECTION) return value;
            const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
            return readServerSettings(workspace, trust, scope);
          });
        },
      },
    },
  };
}

/** Tells the server (at initialize) that this client shows every command result's message. */
export const resultMessagesFeature: StaticFeature = {
  fillClientCapabilities(capabilities) {
    capabilities.experimental = { ...(capabilities.experimental as object | undefined), [EXPERIMENTAL]: { resultMessages: true } };
  },
  initialize() {},
  getState() {
    return { kind: 'static' };
  },
  clear() {},
};

export class ServerController {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient | undefined> | undefined;
  private readonly policy = new RestartPolicy();
  private readonly listeners = new Set<(state: ServerState) => void>();
  private router: CommandRouter | undefined;
  state: ServerState = { kind: 'starting' };

  constructor(private readonly deps: ControllerDeps) {
    this.policy.onGiveUp = (message) => {
      this.setState({ kind: 'unavailable', reason: message });
      void this.warnWithFixes(message, ['Restart', 'Show log']);
    };
  }

  get current(): LanguageClient | undefined {
    return this.client;
  }

  /** Where commands that code actions and lenses carry go (commands.ts). */
  setCommandRouter(router: CommandRouter): void {
    this.router = router;
  }

  onStateChange(listener: (state: ServerState) => void): vscode.Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Starts the client unless it runs (or is starting) already. */
  readyClient(): Promise<LanguageClient | undefined> {
    if (this.client) return Promise.resolve(this.client);
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  async restart(): Promise<void> {
    // a start in flight (whose warning's Retry may be what called us) settles first
    if (this.starting) await this.starting;
    await this.stop();
    this.policy.reset();
    await this.readyClient();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.deps.output.appendLine(`stopping the server: ${String(error)}`);
      }
      this.setState({ kind: 'stopped' });
    }
  }

  private setState(state: ServerState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }

  private async start(): Promise<LanguageClient | undefined> {
    const { workspace, output, probe } = this.deps;
    this.setState({ kind: 'starting' });
    const launchSettings = readLaunchSettings(workspace, workspace);
    const folders = (workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const launch = await resolveServerLaunch(
      {
        ...launchSettings,
        selectedInterpreter: await this.deps.interpreter?.().catch(() => undefined),
        workspaceFolders: folders,
        workspaceFolder: folders[0],
        trusted: workspace.isTrusted,
        home: os.homedir(),
      },
      probe,
    );
    if (isNotFound(launch)) {
      output.appendLine(prefixed(launch.message));
      for (const tried of launch.tried) output.appendLine(`  tried: ${tried}`);
      for (const line of INSTALL_STEPS) output.appendLine(line);
      this.setState({ kind: 'unavailable', reason: launch.message });
      void this.warnWithFixes(launch.message, ['How to install', 'Open Settings', 'Retry']);
      return undefined;
    }
    output.appendLine(`Starting ${launch.command} ${launch.args.join(' ')} (from ${SOURCE_LABELS[launch.source]})`);
    const options = clientOptions(workspace, output, this.policy, () => this.router);
    const create =
      this.deps.createClient ??
      ((so: ServerOptions, co: LanguageClientOptions) => new LanguageClient(CLIENT_ID, CLIENT_NAME, so, co));
    const client = create(serverOptions(launch, folders[0]), options);
    client.registerFeature(resultMessagesFeature);
    this.showServerMessages(client);
    try {
      await client.start();
    } catch (error) {
      const reason =
        `The language server (${launch.command}, from ${SOURCE_LABELS[launch.source]}) did not start: ` +
        `${error instanceof Error ? error.message : String(error)}. See the “${CLIENT_NAME}” output; ` +
        'reinstall it from a checkout (scripts/setup) or set dlmSynth.server.path.';
      output.appendLine(prefixed(reason));
      this.setState({ kind: 'unavailable', reason });
      void this.warnWithFixes(reason, ['Show log', 'Open Settings', 'Retry']);
      return undefined;
    }
    this.client = client;
    this.setState({ kind: 'running', source: launch.source as LaunchSource, command: launch.command });
    return client;
  }

  /**
   * The server's `window/showMessage` and its questions, behind the common prefix. A
   * choice that carries `remember` (protocol.ts `Choice`) is written to the user
   * settings before the answer goes back.
   */
  private showServerMessages(client: LanguageClient): void {
    const { window, output } = this.deps;
    client.onNotification(ShowMessageNotification.type, (params: ShowMessageParams) => {
      const text = prefixed(params.message);
      output.appendLine(text);
      const severity = severityOf(params.type);
      if (severity === 'error') void window.showErrorMessage(text);
      else if (severity === 'warning') void window.showWarningMessage(text);
      else if (severity === 'info') void window.showInformationMessage(text);
    });
    client.onRequest(ShowMessageRequest.type, async (params: ShowMessageRequestParams) => {
      const actions = (params.actions ?? []) as Array<MessageActionItem & Partial<Choice>>;
      const titles = actions.map((a) => a.title);
      const text = prefixed(params.message);
      const severity = severityOf(params.type);
      const ask =
        severity === 'error'
          ? window.showErrorMessage
          : severity === 'warning'
            ? window.showWarningMessage
            : window.showInformationMessage;
      const picked = await ask(text, ...titles);
      const choice = actions.find((a) => a.title === picked);
      if (choice?.remember) {
        const written = await remember(this.deps.workspace, choice.remember);
        void window.showInformationMessage(prefixed(`Kept in your user settings: ${written.join(', ')}.`));
      }
      return choice ? { title: choice.title } : null;
    });
  }

  /**
   * A server problem as a warning with its fixes as buttons. A warning (unlike an
   * error with buttons) leaves the screen by itself, so it never outlives the
   * problem; the status item shows the state until the server runs again.
   */
  private async warnWithFixes(message: string, fixes: string[]): Promise<void> {
    const choice = await this.deps.window.showWarningMessage(prefixed(message), ...fixes);
    switch (choice) {
      case 'How to install':
        this.deps.output.show(true);
        break;
      case 'Show log':
        this.deps.output.show(true);
        break;
      case 'Open Settings':
        await openSetting(this.deps.commands, 'server.path', this.deps.remoteName);
        break;
      case 'Retry':
      case 'Restart':
        await this.restart();
        break;
    }
  }
}
