/**
 * The one concurrency limit of the project: calls over a list with at most N in flight, queued by
 * p-limit. Used by the load balancers' inventory, the secrets tree and `exec` over many nodes.
 */
import pLimit from 'p-limit';

/**
 * `fn` over `items` with at most `limit` calls in flight (a `limit` below 1 counts as 1); the
 * calls start in the order of `items`, and the results come back in that order.
 *
 * Fails fast: after the first rejection no new call starts; the promise rejects with that first
 * rejection once the calls already in flight have settled (so none is left running behind the
 * caller's back, e.g. on a client the caller then destroys). A `fn` that never rejects (one that
 * reports failures in its result) gets every item run.
 * @throws the first rejection of `fn`.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const run = pLimit({ concurrency: Math.max(1, Math.floor(limit) || 1), rejectOnClear: true });
  let failed: { err: unknown } | undefined;
  const settled = await Promise.allSettled(
    items.map((item, index) =>
      run(async () => {
        try {
          return await fn(item, index);
        } catch (err) {
          if (!failed) {
            failed = { err };
            run.clearQueue(); // the calls not started yet reject with an AbortError, unseen
          }
          throw err;
        }
      }),
    ),
  );
  if (failed) throw failed.err;
  return settled.map((s) => (s as PromiseFulfilledResult<R>).value);
}
