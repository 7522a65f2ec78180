/**
 * A small fake of the `vscode` API: only what the extension uses, with recorders
 * (messages shown, commands registered, progress tokens) and knobs (settings per
 * level, workspace trust, scripted QuickPick and message answers).
 */

/* eslint-disable @typescript-eslint/no-explicit-any */

export class Position {
  constructor(public readonly line: number, public readonly character: number) {}
}

export class Range {
  constructor(public readonly start: Position, public readonly end: Position) {}
  get isEmpty(): boolean {
    return this.start.line === this.end.line && this.start.character === this.end.character;
  }
}

export class Selection extends Range {
  constructor(public readonly anchor: Position, public readonly active: Position) {
    super(anchor, active);
  }
}

export class Uri {
  private constructor(public readonly scheme: string, public readonly fsPath: string) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static parse(s: string): Uri {
    return new Uri(s.split(':')[0] ?? 'file', s.replace(/^file:\/\//, ''));
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

export enum ConfigurationTarget {
  Global = 1,
  Workspace = 2,
  WorkspaceFolder = 3,
}

export enum LanguageStatusSeverity {
  Information = 0,
  Warning = 1,
  Error = 2,
}

export enum QuickPickItemKind {
  Separator = -1,
  Default = 0,
}

export enum TextEditorRevealType {
  Default = 0,
  InCenter = 1,
  InCenterIfOutsideViewport = 2,
  AtTop = 3,
}

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (listener: Listener<T>): { dispose(): void } => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token = {
    isCancellationRequested: false,
    onCancellationRequested: this.emitter.event,
  };
  cancel(): void {
    if (!this.token.isCancellationRequested) {
      this.token.isCancellationRequested = true;
      this.emitter.fire();
    }
  }
  dispose(): void {}
}

// -- configuration ------------------------------------------------------------------

/** settings per level, keyed by full name (`dlmSynth.teacher`) */
export const settings = {
  defaults: new Map<string, unknown>(),
  global: new Map<string, unknown>(),
  workspace: new Map<string, unknown>(),
};

function configuration(section: string) {
  const full = (key: string) => (section ? `${section}.${key}` : key);
  return {
    get<T>(key: string, fallback?: T): T | undefined {
      const name = full(key);
      for (const level of [settings.workspace, settings.global, settings.defaults]) {
        if (level.has(name)) return level.get(name) as T;
      }
      return fallback;
    },
    has(key: string): boolean {
      return [settings.workspace, settings.global, settings.defaults].some((l) => l.has(full(key)));
    },
    inspect<T>(key: string) {
      const name = full(key);
      return {
        key: name,
        defaultValue: settings.defaults.get(name) as T | undefined,
        globalValue: settings.global.get(name) as T | undefined,
        workspaceValue: settings.workspace.get(name) as T | undefined,
      };
    },
    update: async (key: string, value: unknown, target: ConfigurationTarget) => {
      recorded.updates.push({ key: full(key), value, target });
      (target === ConfigurationTarget.Global ? settings.global : settings.workspace).set(full(key), value);
    },
  };
}

const configEmitter = new EventEmitter<any>();
const activeEditorEmitter = new EventEmitter<any>();
const trustEmitter = new EventEmitter<void>();

export const version = '1.100.3';

export const workspace = {
  isTrusted: true,
  workspaceFolders: undefined as any,
  getConfiguration: (section?: string, _scope?: unknown) => configuration(section ?? ''),
  onDidChangeConfiguration: configEmitter.event,
  onDidGrantWorkspaceTrust: trustEmitter.event,
  fireConfigurationChange: (keys: string[]) =>
    configEmitter.fire({ affectsConfiguration: (k: string) => keys.some((x) => x === k || x.startsWith(`${k}.`)) }),
  grantTrust: () => {
    workspace.isTrusted = true;
    trustEmitter.fire();
  },
};

// -- window -------------------------------------------------------------------------

export interface Shown {
  severity: 'info' | 'warning' | 'error';
  text: string;
  items: string[];
}

export const recorded = {
  messages: [] as Shown[],
  quickPicks: [] as Array<{ items: any[]; options: any }>,
  progress: [] as Array<{ options: any; source: CancellationTokenSource }>,
  outputLines: [] as string[],
  /** how often an output channel was revealed */
  outputShown: 0,
  /** settings written with `update` */
  updates: [] as Array<{ key: string; value: unknown; target: ConfigurationTarget }>,
  /** language status items created */
  statusItems: [] as any[],
};

/** answers for the next messages / quick picks (FIFO); undefined = dismissed */
export const script = {
  messageAnswers: [] as Array<string | undefined>,
  quickPick: [] as Array<(items: any[], options: any) => any>,
  /** where progress notifications' reports go, when set */
  progressReports: undefined as undefined | any[],
  /** called with each progress token source right after the task starts */
  onProgress: undefined as undefined | ((source: CancellationTokenSource) => void),
};

function show(severity: Shown['severity']) {
  return (text: string, ...items: any[]) => {
    recorded.messages.push({ severity, text, items: items.filter((i) => typeof i === 'string') });
    return Promise.resolve(script.messageAnswers.shift());
  };
}

function outputChannel(name: string) {
  return {
    name,
    append: (s: string) => recorded.outputLines.push(s),
    appendLine: (s: string) => recorded.outputLines.push(s),
    replace: () => undefined,
    clear: () => undefined,
    show: () => {
      recorded.outputShown++;
    },
    hide: () => undefined,
    dispose: () => undefined,
  };
}

export const window = {
  activeTextEditor: undefined as any,
  showInformationMessage: show('info'),
  showWarningMessage: show('warning'),
  showErrorMessage: show('error'),
  showQuickPick: async (items: any, options: any) => {
    const list = await items;
    recorded.quickPicks.push({ items: list, options });
    const answer = script.quickPick.shift();
    return answer ? answer(list, options) : undefined;
  },
  withProgress: async (options: any, task: (progress: any, token: any) => Thenable<any>) => {
    const source = new CancellationTokenSource();
    recorded.progress.push({ options, source });
    const reports = script.progressReports;
    const running = task({ report: (value: any) => reports?.push(value) }, source.token);
    script.onProgress?.(source);
    return running;
  },
  createOutputChannel: (name: string) => outputChannel(name),
  onDidChangeActiveTextEditor: activeEditorEmitter.event,
  /** what VS Code does when the user switches editors */
  switchEditor: (editor: any) => {
    window.activeTextEditor = editor;
    activeEditorEmitter.fire(editor);
  },
};

// -- commands -----------------------------------------------------------------------

export const registeredCommands = new Map<string, (...args: any[]) => any>();
export const executedCommands: Array<{ id: string; args: any[] }> = [];

export const commands = {
  registerCommand: (id: string, run: (...args: any[]) => any) => {
    if (registeredCommands.has(id)) throw new Error(`command '${id}' already exists`);
    registeredCommands.set(id, run);
    return { dispose: () => registeredCommands.delete(id) };
  },
  executeCommand: async (id: string, ...args: any[]) => {
    executedCommands.push({ id, args });
    return registeredCommands.get(id)?.(...args);
  },
};

export const languages = {
  createLanguageStatusItem: (id: string, selector: unknown) => {
    const item = { id, selector, name: '', text: '', detail: '', severity: 0, busy: false, command: undefined as any, dispose: () => undefined };
    recorded.statusItems.push(item);
    return item;
  },
};

/** installed extensions by id (the Python extension's API, for instance) */
export const installedExtensions = new Map<string, any>();

export const extensions = {
  getExtension: (id: string) => installedExtensions.get(id),
};

export const env = {
  remoteName: undefined as string | undefined,
  clipboardText: '',
  clipboard: {
    readText: async () => env.clipboardText,
    writeText: async (text: string) => {
      env.clipboardText = text;
    },
  },
};

/** Resets every recorder and knob between tests. */
export function reset(): void {
  settings.global.clear();
  settings.workspace.clear();
  recorded.messages.length = 0;
  recorded.quickPicks.length = 0;
  recorded.progress.length = 0;
  recorded.outputLines.length = 0;
  recorded.outputShown = 0;
  recorded.updates.length = 0;
  recorded.statusItems.length = 0;
  installedExtensions.clear();
  env.remoteName = undefined;
  script.messageAnswers.length = 0;
  script.quickPick.length = 0;
  script.onProgress = undefined;
  script.progressReports = undefined;
  registeredCommands.clear();
  executedCommands.length = 0;
  workspace.isTrusted = true;
  workspace.workspaceFolders = undefined;
  window.activeTextEditor = undefined;
  env.clipboardText = '';
}
