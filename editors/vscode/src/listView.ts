/**
 * QuickPick items for `dlm-synth.list` results: applied sections (jump to them) and
 * staged pairs (not in the document yet; picking one offers to apply them).
 */

import * as vscode from 'vscode';
import { ListEntry, ListResult } from './protocol';

export interface SynthPickItem extends vscode.QuickPickItem {
  entry?: ListEntry;
  kindOf: 'applied' | 'staged' | 'all' | 'separator';
}

function provenance(entry: ListEntry): string {
  return [entry.teacher, entry.strategy].filter((x) => x).join(' · ');
}

function when(entry: ListEntry): string {
  const parts: string[] = [];
  if (entry.synthAt) parts.push(`synthesized ${entry.synthAt}`);
  if (entry.sourceExists === false) parts.push('source section missing');
  return parts.join(' · ');
}

export function listItems(result: ListResult): SynthPickItem[] {
  const items: SynthPickItem[] = [];
  if (result.applied.length > 0) {
    items.push({ label: 'In the document', kind: vscode.QuickPickItemKind.Separator, kindOf: 'separator' });
    for (const entry of result.applied) {
      const line = entry.range ? ` (line ${entry.range.start.line + 1})` : '';
      items.push({
        label: `$(sparkle) ${entry.question ?? '(no question)'}`,
        description: provenance(entry) + line,
        detail: when(entry) || undefined,
        entry,
        kindOf: 'applied',
      });
    }
  }
  if (result.staged.length > 0) {
    items.push({ label: 'Staged (not inserted yet)', kind: vscode.QuickPickItemKind.Separator, kindOf: 'separator' });
    for (const entry of result.staged) {
      items.push({
        label: `$(clock) ${entry.question ?? '(no question)'}`,
        description: ['staged', provenance(entry)].filter((x) => x).join(' · '),
        detail: when(entry) || undefined,
        entry,
        kindOf: 'staged',
      });
    }
  }
  return items;
}

/** Items for choosing what to revert: everything, or one applied section. */
export function revertItems(result: ListResult, cursorLine: number | undefined): {
  items: SynthPickItem[];
  preselect: SynthPickItem | undefined;
} {
  const all: SynthPickItem = {
    label: `$(trash) All synthesized sections (${result.applied.length})`,
    kindOf: 'all',
  };
  const items: SynthPickItem[] = [all];
  let preselect: SynthPickItem | undefined;
  for (const entry of result.applied) {
    const item: SynthPickItem = {
      label: `$(sparkle) ${entry.question ?? '(no question)'}`,
      description: provenance(entry) + (entry.range ? ` (line ${entry.range.start.line + 1})` : ''),
      entry,
      kindOf: 'applied',
    };
    items.push(item);
    const r = entry.range;
    if (cursorLine !== undefined && r && r.start.line <= cursorLine && cursorLine <= r.end.line) {
      preselect = item;
    }
  }
  return { items, preselect };
}
