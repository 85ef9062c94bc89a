/**
 * Waiting for what happens after a call has answered: a notification delivered, a hook run, a row written by
 * the sandbox's notifier. The check runs every 20 ms and the wait ends as soon as it holds, so the limit can be
 * generous for a loaded machine; only a step that never happens fails, and it fails here, naming the wait.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  if (await check()) return;
  throw new Error(`waitFor: the condition did not hold within ${ms} ms`);
}
