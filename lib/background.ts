// Work after the current response (Next's after(), so serverless functions stay alive for it; on its own outside
// a request), the throttle for sweeps that follow requests (one at a time, once per interval, per process), and
// the requests someone is waiting on (answering), which work that can wait lets go first (afterAnswers).
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

// Requests whose sender waits for the answer (SendGrid's webhook: slow answers mean retries and a backlog there).
let answeringNow = 0;
let waiters: (() => void)[] = [];

/** Runs a request handler counted as "being answered" until it returns. */
export async function answering<T>(handler: () => Promise<T>): Promise<T> {
  answeringNow++;
  try {
    return await handler();
  } finally {
    answeringNow--;
    if (answeringNow === 0) {
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    }
  }
}

/**
 * Resolves once no request is being answered in this process, or after `maxWaitMs` whatever happens, so work
 * that can wait (team notifications) never starves under constant load, only lets the answers go first.
 */
export function afterAnswers(maxWaitMs: number): Promise<void> {
  if (answeringNow === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, maxWaitMs);
    function done() {
      clearTimeout(timer);
      waiters = waiters.filter((w) => w !== done);
      resolve();
    }
    waiters.push(done);
  });
}

/** For tests: how many requests are being answered now. */
export const answeringCount = () => answeringNow;
