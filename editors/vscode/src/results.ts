/**
 * Showing what the server says about a command's outcome. The server words every
 * outcome (`result.message`: severity, text, follow-up actions, detail lines); the
 * extension only decides how each looks in VS Code. The only texts composed here are
 * about things the server cannot see (no `.dlm` editor, a request the user cancelled).
 */

import { Message } from './protocol';

export type NoticeSeverity = 'info' | 'warning' | 'error' | 'none';

/** One notification: `none` goes to the output channel only. */
export interface Notice {
  severity: NoticeSeverity;
  text: string;
}

export const DETAILS = 'Show details';

/** The server's message as a notification (prefixed, like every message of the extension). */
export function notice(message: Message): Notice {
  return { severity: message.severity, text: `DLM: ${message.text}` };
}

/** The buttons a message gets: its actions' titles, then a details button when it has details. */
export function buttons(message: Message): string[] {
  const titles = (message.actions ?? []).map((action) => action.title);
  return (message.details ?? []).length > 0 ? [...titles, DETAILS] : titles;
}
