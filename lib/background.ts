// Work after the current response (Next's after(), so serverless functions stay alive for it; on its own outside
// a request), and the throttle for sweeps that follow requests: one at a time, once per interval, per process.
import { after } from "next/server";

export function inBackground(work: Promise<unknown>): void {
  try {
    after(work);
  } catch {
    // after() throws outside a request scope (CLI, worker, tests): the promise runs on its own.
  }
}

/**
 * A sweep to start after requests: at most one running, and none sooner than `intervalMs` after the last one
 * started, so a burst of requests costs one sweep every few seconds. Never throws; failures are logged as
 * `what` and left to the next sweep.
 */
export function throttledSweep(intervalMs: number, what: string, sweep: () => Promise<void>): (now?: number) => void {
  let last = 0;
  let running: Promise<void> | undefined;
  return (now = Date.now()) => {
    if (running || now - last < intervalMs) return;
    last = now;
    running = sweep()
      .catch((error: unknown) => console.error(`${what} failed (it is tried again later):`, error))
      .finally(() => {
        running = undefined;
      });
    inBackground(running);
  };
}
