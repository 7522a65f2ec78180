/**
 * Reviewing the pairs of a preview-mode job (`applyMode: preview`) one by one.
 *
 * The server inserts nothing when such a job ends; its message offers "Review N
 * pairs…" (`dlm-synth.review`), which the extension turns into a multi-select
 * QuickPick: every pair ticked, its question as the label, where it would land now
 * as the description, its answer as the detail. Enter inserts the ticked pairs
 * (`dlm-synth.applyReview` with `keep`), each right after its source as the source
 * is then; the others are dropped. The pick list only opens when the user chooses
 * the review from the notification (or the palette), never by itself, so it never
 * takes the focus from someone typing.
 *
 * Escape inserts and stages nothing. A notification then offers to review again,
 * to stage the pairs instead (never the default), or to discard them; dismissing it
 * leaves the review waiting (the palette's "Review synthesized pairs" reopens it).
 */

import * as vscode from 'vscode';
import {
  ApplyReviewArgs,
  ApplyReviewResult,
  Message,
  ReviewArgs,
  ReviewPair,
  ReviewResult,
  ServerCommand,
  ServerCommandId,
} from './protocol';
import { prefixed } from './results';

export const REVIEW_AGAIN = 'Review again';
export const STAGE_INSTEAD = 'Stage them instead';
export const DISCARD = 'Discard them';

export interface ReviewPickItem extends vscode.QuickPickItem {
  pair: ReviewPair;
}

/** What the review needs: a way to send a server command, and the window. */
export interface ReviewIO {
  send<T>(command: ServerCommandId, payload: object): Promise<T | undefined>;
  window: Pick<typeof vscode.window, 'showQuickPick' | 'showInformationMessage'>;
}

function landing(pair: ReviewPair): string {
  if (!pair.sourceRange) return 'its source is gone: it would be staged';
  return `after “${pair.sourceTitle}” (line ${pair.sourceRange.start.line + 1}) · ${pair.strategy}`;
}

export function reviewItems(result: ReviewResult): ReviewPickItem[] {
  return result.pairs.map((pair) => ({
    label: pair.question,
    description: landing(pair),
    detail: pair.answer,
    picked: true,
    alwaysShow: true,
    pair,
  }));
}

/** Run the review of `args` to the user's decision; the server's message about it. */
export async function runReview(io: ReviewIO, args: ReviewArgs): Promise<Message | undefined> {
  for (;;) {
    const listing = await io.send<ReviewResult>(ServerCommand.review, args);
    if (!listing) return undefined;
    const count = listing.pairs.length;
    const decide = async (over: Partial<ApplyReviewArgs>): Promise<Message | undefined> => {
      const payload: ApplyReviewArgs = { uri: args.uri, reviewId: listing.reviewId, ...over };
      return (await io.send<ApplyReviewResult>(ServerCommand.applyReview, payload))?.message;
    };
    const picked = await io.window.showQuickPick(reviewItems(listing), {
      canPickMany: true,
      title: `Review ${count} synthesized pair${count === 1 ? '' : 's'}`,
      placeHolder: 'Untick the pairs to drop; Enter inserts the ticked ones, Escape inserts nothing',
      matchOnDescription: true,
      matchOnDetail: true,
      ignoreFocusOut: true,
    });
    if (picked) return decide({ keep: picked.map((item) => item.pair.index) });
    const choice = await io.window.showInformationMessage(
      prefixed(`Nothing was inserted from the ${count} synthesized pair${count === 1 ? '' : 's'}.`),
      REVIEW_AGAIN,
      STAGE_INSTEAD,
      DISCARD,
    );
    if (choice === REVIEW_AGAIN) continue;
    if (choice === STAGE_INSTEAD) return decide({ keep: [], stage: true });
    if (choice === DISCARD) return decide({ keep: [] });
    return undefined;
  }
}
