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
export const ShowMessageNotification = { type: { method: 'window/showMessage' } };
export const ShowMessageRequest = { type: { method: 'window/showMessageRequest' } };
export const WorkDoneProgress = { type: { method: '$/progress' } };
export const WorkDoneProgressCancelNotification = { type: { method: 'window/workDoneProgress/cancel' } };

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
  handler: (async () => null) as (req: SentRequest, client: LanguageClient) => Promise<any>,
  onNotification: (() => undefined) as (method: string, params: any, client: LanguageClient) => void,
  /** make `start()` reject with this error */
  startError: undefined as Error | undefined,
};

export const clients: LanguageClient[] = [];

export class LanguageClient {
  started = false;
  stopped = false;
  readonly requests: SentRequest[] = [];
  readonly notificationsSent: Array<{ method: string; params: any }> = [];
  /** handlers the extension installed for server → client messages, by method */
  readonly handlers = new Map<string, (params: any) => any>();
  /** progress handlers by token */
  readonly progress = new Map<string, (value: any) => void>();
  readonly features: any[] = [];
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
    return server.handler(req, this);
  }

  async sendNotification(type: { method: string }, params: any): Promise<void> {
    this.notificationsSent.push({ method: type.method, params });
    server.onNotification(type.method, params, this);
  }

  onNotification(type: { method: string }, handler: (params: any) => any): { dispose(): void } {
    this.handlers.set(type.method, handler);
    return { dispose: () => this.handlers.delete(type.method) };
  }

  onRequest(type: { method: string }, handler: (params: any) => any): { dispose(): void } {
    this.handlers.set(type.method, handler);
    return { dispose: () => this.handlers.delete(type.method) };
  }

  onProgress(_type: unknown, token: string, handler: (value: any) => void): { dispose(): void } {
    this.progress.set(token, handler);
    return { dispose: () => this.progress.delete(token) };
  }

  registerFeature(feature: any): void {
    this.features.push(feature);
  }

  /** what the server would send: `$/progress` for `token` */
  reportProgress(token: string, value: any): void {
    this.progress.get(token)?.(value);
  }
}

export function reset(): void {
  clients.length = 0;
  server.handler = async () => null;
  server.onNotification = () => undefined;
  server.startError = undefined;
}
