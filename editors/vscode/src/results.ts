/**
 * Turning server command results into messages. Pure functions: the shapes are the
 * server's documented results (docs/server.md, “Commands”).
 *
 * Synthesis commands are sent with `quiet: true`, so the server shows no message about
 * their outcome and the extension reports every one of them here, once.
 */

export interface SynthResult {
  status: 'applied' | 'staged' | 'cancelled' | 'nothing-accepted' | 'failed' | string;
  accepted?: number;
  rejected?: number;
  applied?: number;
  staged?: number;
  alreadyPresent?: number;
  error?: string | null;
  rejectedPairs?: Array<{ reason?: string; detail?: string | null; question?: string | null }>;
}

export interface ListEntry {
  sectionId: string | null;
  sourceSectionId: string | null;
  sourceExists?: boolean;
  teacher: string | null;
  strategy: string | null;
  synthAt: string | null;
  question: string | null;
  range: { start: { line: number; character: number }; end: { line: number; character: number } } | null;
}

export interface ListResult {
  applied: ListEntry[];
  staged: ListEntry[];
}

export interface ApplyStagedResult {
  applied: number;
  alreadyPresent: number;
  remaining: number;
}

export type Severity = 'info' | 'warning' | 'error' | 'none';

export interface Message {
  severity: Severity;
  text: string;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** “3 accepted, 1 rejected, 3 inserted, 1 already present” */
export function counts(result: SynthResult): string {
  const parts = [`${result.accepted ?? 0} accepted`, `${result.rejected ?? 0} rejected`];
  if (result.applied) parts.push(`${result.applied} inserted`);
  if (result.staged) parts.push(`${result.staged} staged`);
  if (result.alreadyPresent) parts.push(`${result.alreadyPresent} already present`);
  return parts.join(', ');
}

/** Rejections grouped by reason, most common first: “not_grounded ×2, duplicate ×1”. */
export function rejectionSummary(result: SynthResult): string {
  const byReason = new Map<string, number>();
  for (const pair of result.rejectedPairs ?? []) {
    const reason = pair.reason ?? 'unknown';
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  }
  return [...byReason.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, n]) => `${reason} ×${n}`)
    .join(', ');
}

export function describeSynthesis(result: SynthResult): Message {
  switch (result.status) {
    case 'applied':
      return {
        severity: 'info',
        text: `DLM: inserted ${plural(result.applied ?? 0, 'synthesized pair')} (${counts(result)}).`,
      };
    case 'cancelled':
      return {
        severity: 'info',
        text:
          'DLM: synthesis cancelled' +
          (result.staged ? `; ${plural(result.staged, 'accepted pair')} staged.` : '.'),
      };
    case 'nothing-accepted': {
      const reasons = rejectionSummary(result);
      return {
        severity: 'warning',
        text: `DLM: no synthesized pair was accepted (${counts(result)})` + (reasons ? `: ${reasons}.` : '.'),
      };
    }
    case 'staged':
      // sent with `quiet: true`, so the server leaves these messages to us
      return {
        severity: 'warning',
        text:
          `DLM: ${plural(result.staged ?? 0, 'synthesized pair')} staged (${counts(result)}): their source ` +
          'section changed or the edit was not applied. Run “DLM: Apply staged instructions” to insert them.',
      };
    case 'failed':
      return { severity: 'error', text: `DLM: synthesis failed${result.error ? `: ${result.error}` : '.'}` };
    default:
      return { severity: 'info', text: `DLM: ${result.status} (${counts(result)}).` };
  }
}

export function describeRevert(result: { removed: number; error?: string }): Message {
  if (result.error) {
    // the server has shown its warning already
    return { severity: 'none', text: `DLM: revert not applied: ${result.error}` };
  }
  if (result.removed === 0) {
    return { severity: 'info', text: 'DLM: there were no synthesized instructions to revert.' };
  }
  return { severity: 'info', text: `DLM: removed ${plural(result.removed, 'synthesized section')}.` };
}

export function describeApplyStaged(result: ApplyStagedResult): Message {
  if (result.applied === 0 && result.alreadyPresent === 0 && result.remaining === 0) {
    return { severity: 'info', text: 'DLM: nothing is staged for this document.' };
  }
  const parts = [`inserted ${plural(result.applied, 'staged pair')}`];
  if (result.alreadyPresent) parts.push(`${result.alreadyPresent} already present`);
  if (result.remaining) parts.push(`${result.remaining} still staged (their source section is gone or changed)`);
  return { severity: result.remaining ? 'warning' : 'info', text: `DLM: ${parts.join('; ')}.` };
}

export function describeCancel(result: { cancelled: number }): Message {
  return result.cancelled > 0
    ? { severity: 'info', text: `DLM: cancelled ${plural(result.cancelled, 'synthesis job')}.` }
    : { severity: 'info', text: 'DLM: no synthesis is running for this document.' };
}
