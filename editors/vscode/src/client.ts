/**
 * Owns the LanguageClient: finds the server program, starts, stops and restarts it,
 * and says clearly what to do when the server cannot be found or started.
 */

import * as os from 'os';
import * as vscode from 'vscode';
import {
  ConfigurationParams,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
} from 'vscode-languageclient/node';
import { RestartPolicy } from './restartPolicy';
import { INSTALL_HINT, isNotFound, resolveServerLaunch, ServerLaunch, SystemProbe } from './serverCommand';
import { LANGUAGE_ID, SECTION } from './serverIds';
import { readLaunchSettings, readServerSettings, TrustView } from './settings';

export const CLIENT_ID = 'dlmSynth'; // languageclient reads `dlmSynth.trace.server` by this id
export const CLIENT_NAME = 'DLM Synth';

type VsWorkspace = Pick<typeof vscode.workspace, 'getConfiguration' | 'workspaceFolders' | 'isTrusted'>;
type VsWindow = Pick<typeof vscode.window, 'showErrorMessage'>;

export interface ControllerDeps {
  workspace: VsWorkspace;
  window: VsWindow;
  commands: Pick<typeof vscode.commands, 'executeCommand'>;
  env: Pick<typeof vscode.env, 'clipboard'>;
  probe: SystemProbe;
  output: vscode.OutputChannel;
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

export class ServerController {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient | undefined> | undefined;
  private readonly policy = new RestartPolicy();

  constructor(private readonly deps: ControllerDeps) {}

  get current(): LanguageClient | undefined {
    return this.client;
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
    }
  }

  private async start(): Promise<LanguageClient | undefined> {
    const { workspace, output, probe } = this.deps;
    const launchSettings = readLaunchSettings(workspace, workspace);
    const folder = workspace.workspaceFolders?.[0]?.uri.fsPath;
    const launch = await resolveServerLaunch({ ...launchSettings, workspaceFolder: folder, home: os.homedir() }, probe);
    if (isNotFound(launch)) {
      output.appendLine(launch.message);
      for (const tried of launch.tried) output.appendLine(`  tried: ${tried}`);
      void this.notFound(launch.message);
      return undefined;
    }
    output.appendLine(`Starting ${launch.command} ${launch.args.join(' ')} (from ${launch.source})`);
    const options = clientOptions(workspace, output, this.policy);
    const create =
      this.deps.createClient ??
      ((so: ServerOptions, co: LanguageClientOptions) => new LanguageClient(CLIENT_ID, CLIENT_NAME, so, co));
    const client = create(serverOptions(launch, folder), options);
    try {
      await client.start();
    } catch (error) {
      output.appendLine(`The server did not start: ${String(error)}`);
      void this.notFound(
        `DLM: the language server (${launch.command}) did not start: ${error instanceof Error ? error.message : String(error)}. ` +
          `Reinstall it with “${INSTALL_HINT}”, or set dlmSynth.server.path.`,
      );
      return undefined;
    }
    this.client = client;
    return client;
  }

  /** The error with buttons for each fix. */
  private async notFound(message: string): Promise<void> {
    const open = 'Open Settings';
    const copy = 'Copy install command';
    const retry = 'Retry';
    const choice = await this.deps.window.showErrorMessage(message, open, copy, retry);
    if (choice === open) {
      await this.deps.commands.executeCommand('workbench.action.openSettings', 'dlmSynth.server.path');
    } else if (choice === copy) {
      await this.deps.env.clipboard.writeText(INSTALL_HINT);
    } else if (choice === retry) {
      await this.restart();
    }
  }
}
