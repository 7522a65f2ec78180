/**
 * Long server commands run under a notification with a Cancel button.
 *
 * vscode-languageclient shows the server's own work-done progress in the status bar,
 * where VS Code offers no Cancel button; only `ProgressLocation.Notification` with
 * `cancellable: true` does. The token handed to the task is passed on to
 * `client.sendRequest`, so pressing Cancel sends `$/cancelRequest` for that very
 * `workspace/executeCommand` request, and the server cancels exactly that job (other
 * jobs on the same document keep running, unlike `dlm-synth.cancel`).
 */

import * as vscode from 'vscode';

export type ProgressTask<T> = (
  token: vscode.CancellationToken,
  progress: vscode.Progress<{ message?: string; increment?: number }>,
) => Thenable<T>;

export function withCancellableProgress<T>(
  window: Pick<typeof vscode.window, 'withProgress'>,
  title: string,
  task: ProgressTask<T>,
): Thenable<T> {
  return window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, token) => task(token, progress),
  );
}
