/**
 * What happens when the server process dies or the connection breaks.
 *
 * A crashed server is restarted at once, but only up to `maxRestarts` times within
 * `windowMs`; a server that keeps dying (a broken install, a bad interpreter) would
 * otherwise restart forever. After that the client stops and says how to recover.
 * Mirrors vscode-languageclient's default handler, with our own wording and a clock
 * that tests can drive.
 */

import {
  CloseAction,
  CloseHandlerResult,
  ErrorAction,
  ErrorHandler,
  ErrorHandlerResult,
  Message,
} from 'vscode-languageclient/node';

export class RestartPolicy implements ErrorHandler {
  private restarts: number[] = [];

  constructor(
    private readonly maxRestarts = 4,
    private readonly windowMs = 3 * 60 * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  error(_error: Error, _message: Message | undefined, count: number | undefined): ErrorHandlerResult {
    // a few write/read errors can be transient; a stream of them means the pipe is gone
    if (count !== undefined && count <= 3) {
      return { action: ErrorAction.Continue };
    }
    return { action: ErrorAction.Shutdown };
  }

  closed(): CloseHandlerResult {
    const now = this.now();
    this.restarts = this.restarts.filter((t) => now - t < this.windowMs);
    if (this.restarts.length < this.maxRestarts) {
      this.restarts.push(now);
      return { action: CloseAction.Restart, handled: true };
    }
    const minutes = Math.round(this.windowMs / 60000);
    const message =
      `The language server stopped ${this.maxRestarts + 1} times in ${minutes} minutes and ` +
      'will not be restarted. See the “DLM Synth” output for its error, then run “DLM: Restart server”.';
    if (this.onGiveUp) {
      // the owner shows it (status item and a warning that does not outstay the problem)
      this.onGiveUp(message);
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    return { action: CloseAction.DoNotRestart, message };
  }

  /** Called once the policy stops restarting, with what to tell the user. */
  onGiveUp: ((message: string) => void) | undefined;

  /** A manual restart starts the count afresh. */
  reset(): void {
    this.restarts = [];
  }
}
