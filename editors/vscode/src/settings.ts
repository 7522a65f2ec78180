/**
 * Reading settings with workspace trust in mind.
 *
 * Some settings name a program to run (`dlmSynth.server.path`,
 * `python.defaultInterpreterPath`) or a place documents are sent to or read from
 * (`dlmSynth.teacher`, `dlmSynth.fallbackTeachers`, `dlmSynth.dlmHome`, …). A workspace
 * the user has not trusted must not be able to choose those, so for them only the
 * user-level value (`inspect().globalValue`) counts there. VS Code applies
 * `restrictedConfigurations` itself as well; reading `globalValue` here does not rely
 * on every host (and every VS Code version) doing so.
 */

import * as vscode from 'vscode';
import { SECTION } from './serverIds';

/** `dlmSynth.*` keys that are listed in package.json `restrictedConfigurations`. */
export const RESTRICTED_KEYS: readonly string[] = [
  'server.path',
  'teacher',
  'fallbackTeachers',
  'dlmHome',
  'useCache',
];

/**
 * The keys the server reads from the `dlmSynth` section (its `Settings` fields in
 * camelCase). `server.*` and `trace.*` belong to the client and are not sent.
 */
export const SERVER_KEYS: readonly string[] = [
  'teacher',
  'fallbackTeachers',
  'strategy',
  'perSection',
  'filter',
  'threshold',
  'maxPairs',
  'maxNewTokens',
  'temperature',
  'topP',
  'seed',
  'concurrency',
  'timeoutSeconds',
  'threads',
  'applyMode',
  'dlmHome',
  'useCache',
];

export interface TrustView {
  readonly isTrusted: boolean;
}

/**
 * One setting's value: the effective value in a trusted workspace, only the user's
 * own (global) value in an untrusted one. `undefined` when nothing applies (the
 * caller's default then counts).
 */
export function trustedValue<T>(
  config: vscode.WorkspaceConfiguration,
  key: string,
  restricted: boolean,
  trust: TrustView,
): T | undefined {
  if (!restricted || trust.isTrusted) {
    return config.get<T>(key);
  }
  const inspected = config.inspect<T>(key);
  return inspected?.globalValue ?? inspected?.defaultValue;
}

export type ServerSettings = Record<string, unknown>;

/**
 * The `dlmSynth` settings object the server gets (initializationOptions and the
 * answer to `workspace/configuration`). Values are passed through unchecked: the
 * server validates them and names any bad key, which keeps one source of truth.
 */
export function readServerSettings(
  workspace: Pick<typeof vscode.workspace, 'getConfiguration'>,
  trust: TrustView,
  scope?: vscode.ConfigurationScope,
): ServerSettings {
  const config = workspace.getConfiguration(SECTION, scope);
  const settings: ServerSettings = {};
  for (const key of SERVER_KEYS) {
    const value = trustedValue<unknown>(config, key, RESTRICTED_KEYS.includes(key), trust);
    if (value !== undefined) {
      settings[key] = value;
    }
  }
  return settings;
}

/** The client-side settings that decide how the server is started. */
export interface LaunchSettings {
  serverPath: string | undefined;
  pythonPath: string | undefined;
}

export function readLaunchSettings(
  workspace: Pick<typeof vscode.workspace, 'getConfiguration'>,
  trust: TrustView,
): LaunchSettings {
  const own = workspace.getConfiguration(SECTION);
  const python = workspace.getConfiguration('python');
  return {
    serverPath: nonEmpty(trustedValue<string>(own, 'server.path', true, trust)),
    // ms-python's setting; it names a program, so it is treated as restricted too
    pythonPath: nonEmpty(trustedValue<string>(python, 'defaultInterpreterPath', true, trust)),
  };
}

function nonEmpty(value: string | undefined | null): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
