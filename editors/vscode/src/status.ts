/**
 * The language status of `.dlm` editors, two items: the server (running, and from
 * where; starting; not found, with why) with a menu (Restart / Show log / Open
 * settings), and the synthesis (which teacher and filter a run would use, what stands
 * in its way, the running job). It is the one place a server problem stays visible:
 * it changes the moment the server recovers, so no stale error is left behind (the
 * matching toast is a warning, which VS Code hides by itself).
 */

import type * as vscode from 'vscode';
import { StatusResult } from './protocol';
import { LaunchSource, SOURCE_LABELS } from './serverCommand';
import { PaletteCommand } from './serverIds';

export type ServerState =
  | { kind: 'starting' }
  | { kind: 'running'; source: LaunchSource; command: string }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'stopped' };

/** The part of `LanguageStatusItem` this class sets. */
export type StatusTarget = Pick<
  vscode.LanguageStatusItem,
  'name' | 'text' | 'detail' | 'severity' | 'busy' | 'command'
>;

/** LanguageStatusSeverity values (vscode's enum: Information 0, Warning 1, Error 2). */
export const Severity = { Information: 0, Warning: 1, Error: 2 } as const;

export const STATUS_MENU_COMMAND = PaletteCommand.statusMenu;

/** Where the server came from, in the few words a status line has room for. */
const SHORT_SOURCES: Record<LaunchSource, string> = {
  setting: 'dlmSynth.server.path',
  'python-extension': 'the Python extension',
  python: 'python.defaultInterpreterPath',
  'workspace-venv': '.venv',
  path: 'PATH',
  'path-python': 'a python on PATH',
};

export class StatusView {
  server: ServerState = { kind: 'starting' };
  choice: StatusResult | undefined;
  jobs: string[] = [];

  constructor(
    private readonly serverItem: StatusTarget,
    private readonly synthesisItem: StatusTarget,
  ) {
    serverItem.name = 'dlm-synth server';
    serverItem.command = { title: 'Restart, log, settings…', command: STATUS_MENU_COMMAND };
    synthesisItem.name = 'dlm-synth synthesis';
    this.render();
  }

  setServer(state: ServerState): void {
    this.server = state;
    if (state.kind !== 'running') this.choice = undefined;
    this.render();
  }

  setChoice(choice: StatusResult | undefined): void {
    this.choice = choice;
    this.render();
  }

  /** The titles of the synthesis jobs this window is running. */
  setJobs(titles: string[]): void {
    this.jobs = titles;
    this.render();
  }

  render(): void {
    this.renderServer();
    this.renderSynthesis();
  }

  private renderServer(): void {
    const item = this.serverItem;
    const server = this.server;
    item.busy = server.kind === 'starting';
    item.severity = Severity.Information;
    switch (server.kind) {
      case 'starting':
        item.text = 'dlm-synth: starting';
        item.detail = 'the language server';
        return;
      case 'stopped':
        item.text = 'dlm-synth: stopped';
        item.detail = 'the language server is not running';
        item.severity = Severity.Warning;
        return;
      case 'unavailable':
        item.text = 'dlm-synth: no server';
        item.detail = server.reason;
        item.severity = Severity.Error;
        return;
      case 'running':
        item.text = `dlm-synth ${this.choice?.serverVersion ?? ''}`.trim();
        item.detail = `server from ${SHORT_SOURCES[server.source]}`;
    }
  }

  private renderSynthesis(): void {
    const item = this.synthesisItem;
    const choice = this.choice;
    item.busy = this.jobs.length > 0;
    item.severity = Severity.Information;
    if (this.jobs.length > 0) {
      item.text = `$(sync~spin) ${this.jobs[0]}${this.jobs.length > 1 ? ` (+${this.jobs.length - 1})` : ''}`;
    } else if (choice) {
      const auto = (setting: string): string => (setting === 'auto' ? ' (auto)' : '');
      // a server teacher's URL without its scheme: the item is one short line
      const teacher = choice.teacher.replace(/^(vllm-server:)https?:\/\//, '$1');
      item.text = `$(sparkle) ${teacher}${auto(choice.teacherSetting)} · ${choice.filter}${auto(choice.filterSetting)}`;
    } else {
      item.text = '$(sparkle) …';
    }
    if (choice?.problem) {
      item.severity = Severity.Warning;
      item.detail = `cannot synthesize yet: ${choice.problem}`;
    } else {
      item.detail = choice ? 'teacher · filter' : 'known once the server runs';
    }
  }

  /** One line for the menu: the server, where it came from, and what it would use. */
  describe(): string {
    const server = this.server;
    if (server.kind !== 'running') return this.serverItem.detail ?? '';
    const parts = [`server ${this.choice?.serverVersion ?? ''} from ${SOURCE_LABELS[server.source]} (${server.command})`];
    if (this.choice) parts.push(`teacher ${this.choice.teacher}, filter ${this.choice.filter}`);
    return parts.join('; ');
  }
}
