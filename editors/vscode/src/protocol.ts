/**
 * The language server's command contract, mirrored from
 * server/dlm_synth_lsp/lsp/protocol.py: the `workspace/executeCommand` ids, the one
 * argument object each command takes, and the result it answers (camelCase keys).
 *
 * tests/editors/test_vscode_contract.py compares every interface here with its Python
 * class field by field (name, optionality, type), so a change on either side that the
 * other does not follow fails there. Keep one field per line.
 */

import type { Command, Range } from 'vscode-languageclient';

export const ServerCommand = {
  synthesize: 'dlm-synth.synthesize',
  synthesizeDocument: 'dlm-synth.synthesizeDocument',
  revert: 'dlm-synth.revert',
  list: 'dlm-synth.list',
  cancel: 'dlm-synth.cancel',
  applyStaged: 'dlm-synth.applyStaged',
  revealSource: 'dlm-synth.revealSource',
  status: 'dlm-synth.status',
  relink: 'dlm-synth.relink',
  review: 'dlm-synth.review',
  applyReview: 'dlm-synth.applyReview',
} as const;

export type ServerCommandId = (typeof ServerCommand)[keyof typeof ServerCommand];

/** Follow-ups a message may offer that the client carries out itself (not server commands). */
export const ClientCommand = {
  openSetting: 'dlm-synth.openSetting',
  rememberSettings: 'dlm-synth.rememberSettings',
} as const;

/** `ClientCapabilities.experimental[EXPERIMENTAL]`: `{resultMessages: true}`. */
export const EXPERIMENTAL = 'dlmSynth';

export type StrategyChoice = 'extraction' | 'expansion' | 'both';
export type FilterKind = 'sway' | 'dedup-only' | 'none' | 'grounded';
/** A filter as the user chooses it: `auto` is resolved by the server for each document. */
export type FilterChoice = 'auto' | 'sway' | 'dedup-only' | 'none' | 'grounded';
export type Severity = 'info' | 'warning' | 'error';
export type SynthStatus = 'applied' | 'staged' | 'review' | 'cancelled' | 'nothing-accepted' | 'failed';

// -- arguments --------------------------------------------------------------------

export interface DocumentArgs {
  uri: string;
}

export interface ListArgs {
  uri: string;
  sourceSectionId?: string | null;
  sectionIds?: string[] | null;
}

export interface SynthesizeDocumentArgs {
  uri: string;
  strategy?: StrategyChoice | null;
  teacher?: string | null;
  perSection?: number | null;
  filter?: FilterChoice | null;
}

export interface SynthesizeArgs extends SynthesizeDocumentArgs {
  sectionId?: string | null;
  range?: Range | null;
}

export interface RevertArgs {
  uri: string;
  sectionId?: string | null;
  sectionIds?: string[] | null;
  range?: Range | null;
}

export interface RelinkArgs {
  uri: string;
  sectionId?: string | null;
}

export interface ReviewArgs {
  uri: string;
  reviewId?: string | null;
}

export interface ApplyReviewArgs {
  uri: string;
  reviewId?: string | null;
  keep?: number[];
  stage?: boolean;
}

export interface CancelArgs {
  uri?: string | null;
}

export interface RevealSourceArgs {
  uri: string;
  sectionId: string;
}

export interface StatusArgs {
  uri?: string | null;
  probe?: boolean;
}

// -- results --------------------------------------------------------------------

/** What to tell the user about an outcome, worded by the server. */
export interface Message {
  severity: Severity;
  text: string;
  details: string[];
  actions: Command[];
}

/** An answer to the server's question; picking one with `remember` writes those settings. */
export interface Choice {
  title: string;
  remember: Record<string, unknown> | null;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  requests: number;
  retries: number;
  cached: number;
}

export interface Report {
  teacher: string;
  filter: FilterKind;
  synthAt: string;
  calls: number;
  callsDone: number;
  generated: number;
  invalid: number;
  deduped: number;
  judged: number;
  accepted: number;
  usage: Usage;
  wallSeconds: number;
}

export interface AcceptedPair {
  question: string;
  answer: string;
  strategy: string;
  sourceSectionId: string;
  sourceTitle: string;
  sourceLine: number;
}

export interface Rejection {
  sourceSectionId: string;
  sourceTitle: string;
  sourceLine: number | null;
  strategy: 'extraction' | 'expansion' | null;
  reason: string;
  detail: string;
  question: string | null;
  answer: string | null;
}

export interface MarkedPair {
  question: string;
  answer: string;
  sourceSectionId: string;
  teacher: string;
  strategy: string;
  synthAt: string;
}

export interface SynthesizeResult {
  status: SynthStatus;
  accepted: number;
  rejected: number;
  applied: number;
  staged: number;
  alreadyPresent: number;
  error: string | null;
  report: Report | null;
  acceptedPairs: AcceptedPair[];
  rejectedPairs: Rejection[];
  unstagedPairs: MarkedPair[];
  message: Message;
}

export interface RevertResult {
  removed: number;
  error: string | null;
  message: Message;
}

export interface RelinkResult {
  relinked: number;
  error: string | null;
  message: Message;
}

/** A pair awaiting review; `sourceRange`: the section it would follow now (null: its source is gone). */
export interface ReviewPair {
  index: number;
  question: string;
  answer: string;
  strategy: string;
  sourceTitle: string;
  sourceRange: Range | null;
}

export interface ReviewResult {
  reviewId: string;
  pairs: ReviewPair[];
  message: Message;
}

export interface ApplyReviewResult {
  applied: number;
  staged: number;
  dropped: number;
  alreadyPresent: number;
  message: Message;
}

export interface ListEntry {
  sectionId: string | null;
  sourceSectionId: string | null;
  sourceExists: boolean;
  teacher: string | null;
  strategy: string | null;
  synthAt: string | null;
  question: string;
  range: Range | null;
}

export interface ListResult {
  applied: ListEntry[];
  staged: ListEntry[];
}

export interface CancelResult {
  cancelled: number;
  message: Message;
}

export interface ApplyStagedResult {
  applied: number;
  alreadyPresent: number;
  remaining: number;
  message: Message;
}

export interface RevealSourceResult {
  shown: boolean;
}

export interface JobStatus {
  title: string;
  uri: string;
}

export interface StatusResult {
  serverVersion: string;
  teacher: string;
  teacherSetting: string;
  filter: string;
  filterSetting: string;
  problem: string | null;
  reachable: boolean | null;
  jobs: JobStatus[];
}
