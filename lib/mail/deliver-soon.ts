// Sends freshly queued outbox rows right after the response (Next's after()), so the user never waits for
// SendGrid; the outbox keeps them if this fails. Outside a request (CLI, tests) it sends in the background.
// One sender per process takes every id queued meanwhile in one claim: a burst of mail (each answered with a
// thank-you) makes one drain at SendGrid's pace, not a claim, a drain and an outcome write per request
// competing with the requests still coming in.
import { after } from "next/server";
import { deliverOutbox } from "./outbox";

// At most this many rows per claim (the outbox's own default batch).
const BATCH = 50;

const waiting = new Set<string>();
let sender: Promise<void> | undefined;

function startSender(): void {
  sender = (async () => {
    while (waiting.size) {
      const batch = [...waiting].slice(0, BATCH);
      for (const id of batch) waiting.delete(id);
      await deliverOutbox({ ids: batch, limit: batch.length }).catch((error: unknown) =>
        console.error("outbox delivery after the response failed (rows stay queued):", error),
      );
    }
  })().finally(() => {
    sender = undefined;
    // Ids queued after the loop's last look but before it let go.
    if (waiting.size) startSender();
  });
}

/** Resolves once every id queued so far has been tried (after(), tests). */
export async function drained(): Promise<void> {
  while (sender) await sender;
}

export function deliverSoon(ids: readonly string[]): void {
  if (ids.length === 0) return;
  for (const id of ids) waiting.add(id);
  if (!sender) startSender();
  const done = drained();
  try {
    // On serverless hosts the function stays alive until its mail has been tried.
    after(done);
  } catch {
    // after() throws outside a request scope.
    void done;
  }
}
