/**
 * A fake of `vscode-languageclient/node`: records how the extension builds the
 * client and lets tests answer `workspace/executeCommand` requests.
 */

/* eslint-disable @typescript-eslint/no-explicit-any */

import { Position, Range, Uri } from './vscode';

export enum ErrorAction {
  Continue = 1,
  Shutdown = 2,
}

export enum CloseAction {
  DoNotRestart = 1,
  Restart = 2,
}

export enum RevealOutputChannelOn {
  Debug = 0,
  Info = 1,
  Warn = 2,
  Error = 3,
  Never = 4,
}

export enum TransportKind {
  stdio = 0,
  ipc = 1,
  pipe = 2,
  socket = 3,
}

export const ExecuteCommandRequest = { type: { method: 'workspace/executeCommand' } };

export class ResponseError extends Error {
  constructor(public readonly code: number, message: string) {
    super(message);
  }
}

export interface SentRequest {
  type: { method: string };
  params: any;
  token: any;
}

/** How the fake answers requests: set per test; default answers null. */
export const server = {
  handler: (async () => null) as (req: SentRequest) => Promise<any>,
  /** make `start()` reject with this error */
  startError: undefined as Error | undefined,
};

export const clients: LanguageClient[] = [];

export class LanguageClient {
  started = false;
  stopped = false;
  readonly requests: SentRequest[] = [];
  readonly code2ProtocolConverter = { asUri: (uri: Uri) => uri.toString() };
  readonly protocol2CodeConverter = {
    asRange: (r: any) =>
      new Range(new Position(r.start.line, r.start.character), new Position(r.end.line, r.end.character)),
  };

  constructor(
    public readonly id: string,
    public readonly name: string,
    public readonly serverOptions: any,
    public readonly clientOptions: any,
  ) {
    clients.push(this);
  }

  async start(): Promise<void> {
    if (server.startError) throw server.startError;
    this.started = true;
  }

  async stop(_timeout?: number): Promise<void> {
    this.stopped = true;
  }

  sendRequest(type: { method: string }, params: any, token?: any): Promise<any> {
    const req = { type, params, token };
    this.requests.push(req);
    return server.handler(req);
  }
}

export function reset(): void {
  clients.length = 0;
  server.handler = async () => null;
  server.startError = undefined;
}
