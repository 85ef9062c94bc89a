/**
 * The outbox's statuses as data. A business hook is not a row of its own: it rides on the document whose move
 * made it due - the paid order carries `onPaid`, the succeeded refund record carries `onRefunded` - written by
 * the SAME conditional update as the move, so "the order is paid" and "its hook is owed" can never be apart.
 *
 *   pending --claim--> running --finish--> done
 *                      running --retry--> pending (backoff)     running --bury--> dead (alert)
 *   running --claim--> running   only once the claim's lease has lapsed (its runner died)
 *   dead/done/pending --replay--> pending   (an admin's replayHooks)
 */
import { assertStatusTable } from '../../../../../../common/status';

export const HOOK_STATUSES = ['pending', 'running', 'done', 'dead'] as const;
export type HookStatus = (typeof HOOK_STATUSES)[number];

export const HOOK_TRANSITIONS = {
  claim: { from: ['pending', 'running'], to: 'running' },
  finish: { from: ['running'], to: 'done' },
  retry: { from: ['running'], to: 'pending' },
  bury: { from: ['running'], to: 'dead' },
  replay: { from: ['dead', 'done', 'pending'], to: 'pending' },
} as const satisfies Record<string, { from: readonly HookStatus[]; to: HookStatus }>;

export type HookTransition = keyof typeof HOOK_TRANSITIONS;

const HOOK_RANK: Record<HookStatus, number> = { pending: 0, running: 1, done: 2, dead: 2 };

// retry and replay are the only ways back: a failed run waits for its next try, an admin reopens a finished one.
assertStatusTable('hook', HOOK_TRANSITIONS, HOOK_STATUSES, HOOK_RANK, ['retry', 'replay']);

/** The hook fields an order (onPaid) or a refund record (onRefunded) carries once its hook is owed. */
export interface CarriedHook {
  hook_status?: HookStatus;
  /** when the hook is due; while running, when the runner's lease lapses unless renewed */
  hook_next_at?: number;
  /** the token of the runner holding the claim */
  hook_lease?: string;
  hook_attempts?: number;
  hook_error?: string;
  hook_done_at?: number;
}
