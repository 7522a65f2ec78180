/**
 * The palette commands against the real Python language server over stdio, with a
 * fake OpenAI-compatible teacher (e2e/fake_teacher.py) on 127.0.0.1. `vscode` is faked
 * (window, progress, quick picks); the JSON-RPC connection, the server and its edits
 * are real, so this checks the payloads (range at the cursor), the applyEdit round
 * trip, list/revert, and that the notification's Cancel stops the server job through
 * `$/cancelRequest`.
 *
 * Skipped when no Python with dlm_synth_lsp is found (DLM_SYNTH_PYTHON, else the
 * repository's .venv).
 */

import { dlmEditor, resetFakes, vs } from '../unit/helpers';
import { strict as assert } from 'assert';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { after, before, beforeEach, describe, test } from 'node:test';
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import {
  createProtocolConnection,
  ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgress,
} from 'vscode-languageserver-protocol/node';
import { DlmCommands } from '../../src/commands';

const REPO = path.resolve(__dirname, '..', '..', '..', '..', '..');
const PYTHON = process.env.DLM_SYNTH_PYTHON ?? path.join(REPO, '.venv', 'bin', 'python');

function serverAvailable(): boolean {
  if (!fs.existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', 'import dlm_synth_lsp'], { timeout: 30000 }).status === 0;
}

const DOC = `---
dlm_id: 01KPQ9X1000000000000000077
dlm_version: 15
base_model: smollm2-135m
---

# Rotating TLS certificates

Certificates issued by the internal CA are valid for 90 days. The renewal job runs daily and replaces any certificate that expires within 30 days. The job then reloads the proxy with a SIGHUP so open connections are not dropped.

::prose::

# Monitoring

Expired certificates show up as handshake failures in the proxy log. An alert fires when more than five handshakes fail within one minute.
`;

interface Pos {
  line: number;
  character: number;
}

/** utf-16 offsets are JS string indices, as VS Code counts them */
function offsetAt(text: string, pos: Pos): number {
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < pos.line; i++) offset += (lines[i]?.length ?? 0) + 1;
  return offset + pos.character;
}

class Harness {
  text = DOC;
  version = 1;
  edits = 0;
  messages: string[] = [];
  progressTokens: string[] = [];
  progressValues: any[] = [];
  readonly uri: string;
  private constructor(
    readonly connection: ProtocolConnection,
    readonly server: ChildProcess,
    readonly teacher: ChildProcess,
    readonly file: string,
  ) {
    this.uri = vs.Uri.file(file).toString();
  }

  static async start(latency: number): Promise<Harness> {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-vscode-it-'));
    const file = path.join(home, 'doc.dlm');
    fs.writeFileSync(file, DOC);
    const teacher = spawn(PYTHON, [path.join(REPO, 'editors', 'vscode', 'e2e', 'fake_teacher.py'), '--latency', String(latency)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      teacher.stdout!.on('data', (chunk: Buffer) => {
        const m = /READY (\S+)/.exec(chunk.toString());
        if (m) resolve(m[1]!);
      });
      teacher.on('exit', (code) => reject(new Error(`fake teacher exited ${code}`)));
    });
    const server = spawn(PYTHON, ['-m', 'dlm_synth_lsp', '--stdio'], {
      env: { ...process.env, DLM_HOME: path.join(home, 'dlm-home'), OPENAI_API_KEY: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    server.stderr!.on('data', () => undefined);
    const connection = createProtocolConnection(
      new StreamMessageReader(server.stdout!),
      new StreamMessageWriter(server.stdin!),
    );
    const h = new Harness(connection, server, teacher, file);
    const settings = { teacher: `vllm-server:${url}`, filter: 'grounded', perSection: 2, timeoutSeconds: 30 };
    connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => settings));
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onRequest('window/showMessageRequest', () => null);
    connection.onRequest('client/registerCapability', () => null);
    connection.onNotification('window/showMessage', (p: { message: string }) => h.messages.push(p.message));
    connection.onNotification('window/logMessage', () => undefined);
    connection.onNotification('textDocument/publishDiagnostics', () => undefined);
    connection.onRequest('workspace/applyEdit', (params: any) => h.applyEdit(params));
    (connection as unknown as { onRequest(h: (method: string) => unknown): void }).onRequest((method: string) => {
      if (process.env.DLM_IT_DEBUG) console.error(`unhandled request ${method}`);
      return null;
    });
    connection.onUnhandledNotification((n) => {
      if (process.env.DLM_IT_DEBUG) console.error(`unhandled notification ${n.method}`);
    });
    connection.listen();
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      initializationOptions: settings,
      capabilities: {
        general: { positionEncodings: ['utf-16'] },
        window: { workDoneProgress: true, showDocument: { support: true } },
        workspace: { configuration: true, applyEdit: true, workspaceEdit: { documentChanges: true } },
        // as the extension's client says (client.ts resultMessagesFeature)
        experimental: { dlmSynth: { resultMessages: true } },
      },
    });
    await connection.sendNotification('initialized', {});
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: h.uri, languageId: 'dlm', version: h.version, text: h.text },
    });
    return h;
  }

  /** Applies the edit like VS Code: only for the current version, then didChange. */
  applyEdit(params: any): { applied: boolean } {
    const changes = params.edit.documentChanges ?? [];
    let text = this.text;
    for (const change of changes) {
      if (change.textDocument.version !== null && change.textDocument.version !== this.version) {
        return { applied: false };
      }
      const edits = [...change.edits].sort(
        (a: any, b: any) => offsetAt(text, b.range.start) - offsetAt(text, a.range.start),
      );
      for (const e of edits) {
        text = text.slice(0, offsetAt(text, e.range.start)) + e.newText + text.slice(offsetAt(text, e.range.end));
      }
    }
    this.text = text;
    this.version++;
    this.edits++;
    void this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: this.uri, version: this.version },
      contentChanges: [{ text }],
    });
    return { applied: true };
  }

  /** What the commands see as a LanguageClient. */
  client(): LanguageClient {
    return {
      // like LanguageClient.sendRequest: the token only when there is one
      sendRequest: (type: { method: string }, params: unknown, token?: unknown) =>
        token === undefined
          ? this.connection.sendRequest(type.method, params)
          : this.connection.sendRequest(type.method, params, token as any),
      sendNotification: (type: { method: string }, params: unknown) => this.connection.sendNotification(type.method, params),
      // the server's $/progress for a token the request carried (the notification's steps)
      onProgress: (_type: unknown, token: string, handler: (value: any) => void) => {
        this.progressTokens.push(token);
        return this.connection.onProgress(WorkDoneProgress.type, token, (value) => {
          this.progressValues.push(value);
          handler(value);
        });
      },
      code2ProtocolConverter: { asUri: (u: { toString(): string }) => u.toString() },
      protocol2CodeConverter: {
        asRange: (r: any) => new vs.Range(new vs.Position(r.start.line, r.start.character), new vs.Position(r.end.line, r.end.character)),
      },
    } as unknown as LanguageClient;
  }

  commands(): DlmCommands {
    const client = this.client();
    return new DlmCommands({
      host: { readyClient: async () => client, restart: async () => undefined },
      window: vs.window as unknown as typeof vscode.window,
      output: vs.window.createOutputChannel('DLM Synth') as unknown as vscode.OutputChannel,
    });
  }

  editor(line: number, character: number): any {
    const editor = dlmEditor([line, character]);
    editor.document.uri = vs.Uri.file(this.file);
    return editor;
  }

  async stop(): Promise<void> {
    try {
      await this.connection.sendRequest('shutdown');
      await this.connection.sendNotification('exit');
    } catch {
      // already gone
    }
    this.connection.dispose();
    this.server.kill();
    this.teacher.stdin!.end();
    this.teacher.kill();
  }
}

const available = serverAvailable();

describe('against the real language server', { skip: available ? false : `no Python with dlm_synth_lsp at ${PYTHON}` }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start(0);
  });
  after(async () => {
    await h?.stop();
  });
  beforeEach(resetFakes);

  test('section at cursor: pairs are inserted after that section with an auto-synth marker', async () => {
    const prose = DOC.split('\n').findIndex((l) => l.startsWith('Certificates issued'));
    vs.window.activeTextEditor = h.editor(prose, 10);
    await h.commands().synthesizeSection();
    assert.equal(h.edits, 1, `one edit; messages: ${JSON.stringify(vs.recorded.messages)} ${h.messages}`);
    assert.match(vs.recorded.messages[0]!.text, /^dlm-synth: Inserted 2 synthesized pairs for “Rotating TLS certificates” \(line \d+\)/);
    assert.deepEqual(vs.recorded.messages[0]!.items, ['Review 2 pairs…', 'Undo']);
    assert.deepEqual(h.messages, [], 'the server shows nothing itself: the client shows the result');
    // the job reported into the notification, on the token the request carried
    assert.ok(h.progressValues.some((v) => v.kind === 'begin'));
    assert.ok(h.progressValues.some((v) => v.kind === 'report' && /“Rotating TLS certificates” \(extraction\): 2 of 2 accepted/.test(v.message)));
    const inserted = h.text.slice(h.text.indexOf('dropped.') + 'dropped.'.length, h.text.indexOf('::prose::'));
    assert.match(inserted, /::instruction::\n<!-- dlm-auto-synth: [^\n]*synth_teacher="vllm-server:http:\/\/127\.0\.0\.1:\d+"/);
    assert.match(inserted, /### Q\n.*\n### A\n.*90 days/);
  });

  test('list shows the synthesized sections; picking one reveals its range', async () => {
    const editor = h.editor(0, 0);
    vs.window.activeTextEditor = editor;
    vs.script.quickPick.push((items) => items.find((i: any) => i.kindOf === 'applied'));
    await h.commands().list();
    const items = vs.recorded.quickPicks[0]!.items.filter((i: any) => i.kindOf === 'applied');
    assert.equal(items.length, 2);
    const line = editor.revealed[0].start.line;
    assert.equal(h.text.split('\n')[line], '::instruction::');
  });

  test('revert all restores the original text', async () => {
    vs.window.activeTextEditor = h.editor(0, 0);
    vs.script.quickPick.push((items) => items.find((i: any) => i.kindOf === 'all'));
    await h.commands().revert();
    assert.equal(vs.recorded.messages[0]!.text, 'dlm-synth: Removed 2 synthesized sections.');
    assert.equal(h.text, DOC);
  });

  test('Undo in the result message removes exactly what the job inserted', async () => {
    const prose = DOC.split('\n').findIndex((l) => l.startsWith('Expired certificates'));
    vs.window.activeTextEditor = h.editor(prose, 0);
    vs.script.messageAnswers.push('Undo');
    await h.commands().synthesizeSection();
    assert.match(vs.recorded.messages[0]!.text, /^dlm-synth: Inserted \d+ synthesized pairs? for “Monitoring”/);
    assert.match(vs.recorded.messages[1]!.text, /^dlm-synth: Removed \d+ synthesized sections?\.$/);
    assert.equal(h.text, DOC);
  });

  test('a cursor outside prose gets the server error, shown as an error', async () => {
    vs.window.activeTextEditor = h.editor(1, 0); // frontmatter
    await h.commands().synthesizeSection();
    assert.equal(vs.recorded.messages[0]!.severity, 'error');
    assert.match(vs.recorded.messages[0]!.text, /not inside a prose section/);
  });
});

describe('cancel against the real language server', { skip: available ? false : 'no server' }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start(20); // a teacher that takes 20 s per reply
  });
  after(async () => {
    await h?.stop();
  });
  beforeEach(resetFakes);

  test('Cancel on the progress notification stops the job: no edit, quick answer', async () => {
    vs.window.activeTextEditor = h.editor(0, 0);
    vs.script.onProgress = (source) => setTimeout(() => source.cancel(), 700);
    const started = Date.now();
    await h.commands().synthesizeDocument();
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 5000, `cancelled in ${elapsed} ms, not after the teacher's 20 s`);
    assert.equal(h.edits, 0);
    // cancelled through the job's progress token: the server's own answer
    assert.deepEqual(vs.recorded.messages.map((m) => m.text), ['dlm-synth: Synthesis cancelled.']);
    // the server has no job left for the document
    const client = h.client();
    const result = await client.sendRequest({ method: 'workspace/executeCommand' } as any, {
      command: 'dlm-synth.cancel',
      arguments: [{ uri: h.uri }],
    });
    assert.deepEqual(result, {
      cancelled: 0,
      message: { severity: 'info', text: 'No synthesis is running for this document.', details: [], actions: [] },
    });
  });
});
