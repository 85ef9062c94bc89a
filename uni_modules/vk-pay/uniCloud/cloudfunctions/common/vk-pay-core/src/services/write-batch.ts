/**
 * Writes that depend on nothing but what is already decided, issued together as ONE round trip: the log row,
 * the raw notification, an alert, the refund record's own status after the order was settled. On uniCloud
 * every database call is a network round trip; independent ones sent at once cost the slowest of them, not
 * their sum.
 *
 * `need` writes must succeed for the work to be complete: their failure fails the flush (the notification then
 * gets the retry reply and the redelivery finishes the work, each write being idempotent). `keep` writes are
 * records of what happened (logs, inbox, alerts): their failure is reported on stderr and changes no reply.
 */
export interface WriteBatch {
  need(write: () => Promise<unknown>): void;
  keep(write: () => Promise<unknown>): void;
  /** Issues every queued write at once; rejects with the first failed `need` write after all have settled. */
  flush(): Promise<void>;
}

export function createWriteBatch(): WriteBatch {
  const needed: Array<() => Promise<unknown>> = [];
  const kept: Array<() => Promise<unknown>> = [];
  return {
    need: (w) => { needed.push(w); },
    keep: (w) => { kept.push(w); },
    async flush() {
      const n = needed.splice(0);
      const k = kept.splice(0);
      if (n.length + k.length === 0) return;
      const results = await Promise.allSettled([...n.map((w) => w()), ...k.map((w) => w())]);
      results.slice(n.length).forEach((r) => {
        if (r.status === 'rejected') console.error('[vk-pay] record write failed:', (r.reason as Error)?.message ?? r.reason);
      });
      const failed = results.slice(0, n.length).find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
