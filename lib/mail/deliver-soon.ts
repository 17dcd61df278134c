// Sends freshly queued outbox rows right after the response (Next's after()), so the user never waits for
// SendGrid; the outbox keeps them if this fails. Outside a request (CLI, tests) it sends in the background.
import { after } from "next/server";
import { deliverOutbox } from "./outbox";

export function deliverSoon(ids: readonly string[]): void {
  if (ids.length === 0) return;
  const work = () =>
    deliverOutbox({ ids: [...ids] }).then(
      () => undefined,
      (error: unknown) => console.error("outbox delivery after the response failed (rows stay queued):", error),
    );
  try {
    after(work);
  } catch {
    // after() throws outside a request scope.
    void work();
  }
}
