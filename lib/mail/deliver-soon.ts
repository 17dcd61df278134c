// Sends freshly queued outbox rows right after the response (Next's after()), so the user never waits for
// SendGrid; the outbox keeps them if this fails. Outside a request (CLI, tests) it sends in the background.
// A few senders per process take every id queued meanwhile in one claim: a burst of mail (each answered with a
// thank-you) makes a handful of drains at SendGrid's pace, not a claim, a drain and an outcome write per
// request competing with the requests still coming in.
import { after } from "next/server";
import { deliverOutbox } from "./outbox";

// At most this many rows per claim (the outbox's own default batch), and this many drains at once: each drain
// sends one mail at a time, so a slow SendGrid answer holds back only its own drain.
const BATCH = 50;
const SENDERS = 4;

/** Queued ids, each with what waits for it (the after() of the request that queued it). */
const waiting = new Map<string, (() => void)[]>();
let senders = 0;
let idle: (() => void)[] = [];

function startSenders(): void {
  while (senders < SENDERS && waiting.size) {
    const batch = [...waiting.keys()].slice(0, BATCH);
    const done = batch.flatMap((id) => {
      const waiters = waiting.get(id) ?? [];
      waiting.delete(id);
      return waiters;
    });
    senders++;
    void deliverOutbox({ ids: batch, limit: batch.length })
      .catch((error: unknown) => console.error("outbox delivery after the response failed (rows stay queued):", error))
      .finally(() => {
        senders--;
        for (const resolve of done) resolve();
        startSenders();
        if (senders === 0 && waiting.size === 0) {
          for (const resolve of idle) resolve();
          idle = [];
        }
      });
  }
}

/** Resolves once every id queued so far has been tried (tests, shutdown). */
export function drained(): Promise<void> {
  if (senders === 0 && waiting.size === 0) return Promise.resolve();
  return new Promise((resolve) => idle.push(resolve));
}

export function deliverSoon(ids: readonly string[]): void {
  if (ids.length === 0) return;
  // Resolves when this request's own mail has been tried, however much is queued behind it.
  const tried = Promise.all(
    ids.map(
      (id) =>
        new Promise<void>((resolve) => {
          waiting.set(id, [...(waiting.get(id) ?? []), resolve]);
        }),
    ),
  ).then(() => undefined);
  startSenders();
  try {
    // On serverless hosts the function stays alive until its mail has been tried.
    after(tried);
  } catch {
    // after() throws outside a request scope.
  }
}
