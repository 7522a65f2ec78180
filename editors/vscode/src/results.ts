/**
 * Showing what the server says. The server words every outcome (`result.message`:
 * severity, text, follow-up actions, detail lines) and every other message it sends
 * (`window/showMessage`, its questions); the extension decides only how each looks in
 * VS Code, behind the one prefix all clients use. The only texts composed here are
 * about things the server cannot see (no `.dlm` editor, no server at all, a request
 * the user cancelled before the server took it).
 */

import { Message } from './protocol';

/** Every client shows the server's messages behind this prefix (Neovim too). */
export const PREFIX = 'dlm-synth: ';

export type NoticeSeverity = 'info' | 'warning' | 'error' | 'none';

/** One notification: `none` goes to the output channel only. */
export interface Notice {
  severity: NoticeSeverity;
  text: string;
}

export const DETAILS = 'Show details';

export function prefixed(text: string): string {
  return text.startsWith(PREFIX) ? text : PREFIX + text;
}

/** The server's message as a notification. */
export function notice(message: Message): Notice {
  return { severity: message.severity, text: prefixed(message.text) };
}

/** The buttons a message gets: its actions' titles, then a details button when it has details. */
export function buttons(message: Message): string[] {
  const titles = (message.actions ?? []).map((action) => action.title);
  return (message.details ?? []).length > 0 ? [...titles, DETAILS] : titles;
}

/** `window/showMessage` types (LSP MessageType) as notice severities. */
export function severityOf(type: number): NoticeSeverity {
  return type === 1 ? 'error' : type === 2 ? 'warning' : type === 3 ? 'info' : 'none';
}
