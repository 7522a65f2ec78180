/**
 * The language status item of `.dlm` editors: whether the server runs (and where it
 * came from), which teacher and filter a synthesis would use, whether one is running,
 * and a menu with Restart / Show log / Open settings. It is the one place a server
 * problem stays visible: it changes the moment the server recovers, so no stale
 * error is left behind (the matching toast is a warning, which VS Code hides by itself).
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

export class StatusView {
  server: ServerState = { kind: 'starting' };
  choice: StatusResult | undefined;
  jobs: string[] = [];

  constructor(private readonly item: StatusTarget) {
    item.name = 'dlm-synth';
    item.command = { title: 'Restart, log, settings…', command: STATUS_MENU_COMMAND };
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
    const item = this.item;
    const server = this.server;
    item.busy = server.kind === 'starting' || this.jobs.length > 0;
    item.severity = Severity.Information;
    switch (server.kind) {
      case 'starting':
        item.text = 'dlm-synth: starting';
        item.detail = 'starting the language server';
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
        break;
    }
    const choice = this.choice;
    const from = `server from ${SOURCE_LABELS[server.source]}`;
    if (this.jobs.length > 0) {
      item.text = `$(sync~spin) ${this.jobs[0]}${this.jobs.length > 1 ? ` (+${this.jobs.length - 1})` : ''}`;
    } else if (choice) {
      const auto = (setting: string): string => (setting === 'auto' ? ' (auto)' : '');
      item.text = `teacher ${choice.teacher}${auto(choice.teacherSetting)} · filter ${choice.filter}${auto(choice.filterSetting)}`;
    } else {
      item.text = 'dlm-synth';
    }
    if (choice?.problem) {
      item.severity = Severity.Warning;
      item.detail = `cannot synthesize yet: ${choice.problem}`;
    } else {
      item.detail = choice ? `dlm-synth ${choice.serverVersion}, ${from}` : from;
    }
  }
}
