// The sweeper: stored mail that never reached an outcome (its process died, or the database failed under it)
// is processed again without a person. Run after webhook requests (throttled), by `npm run worker`, and by
// /api/cron/inbound; each run is bounded in mails and time.
import { after } from "next/server";
import { deliverSoon } from "@/lib/mail/deliver-soon";
import { processInbound, type IntakeStatus } from "./intake";
import { dueInbound } from "./intake-queries";

export interface RecoveryResult {
  /** Mails taken up (another processing may have held some: those are not counted). */
  processed: number;
  outcomes: Partial<Record<IntakeStatus, number>>;
  /** Outbox rows the recovered mails queued (thank-yous), for the caller to deliver. */
  outboxIds: string[];
  /** More due mail was left for the next run (the run's limit or time budget was reached). */
  more: boolean;
}

/** Processes up to `limit` due mails, oldest first, stopping early once `budgetMs` has passed. */
export async function recoverInbound(options: { limit?: number; budgetMs?: number } = {}): Promise<RecoveryResult> {
  const limit = options.limit ?? 50;
  const deadline = Date.now() + (options.budgetMs ?? 30_000);
  const ids = await dueInbound(limit + 1);
  const result: RecoveryResult = { processed: 0, outcomes: {}, outboxIds: [], more: ids.length > limit };
  for (const id of ids.slice(0, limit)) {
    if (Date.now() > deadline) {
      result.more = true;
      break;
    }
    const outcome = await processInbound(id, { from: ["received"], giveUpWhenOld: true });
    if (outcome.busy) continue;
    result.processed++;
    result.outcomes[outcome.status] = (result.outcomes[outcome.status] ?? 0) + 1;
    result.outboxIds.push(...outcome.outboxIds);
  }
  return result;
}

// After a webhook request, at most one sweep per process in this interval: a burst of mail costs one due-mail
// query every few seconds, not one per request.
const SOON_INTERVAL_MS = 10_000;
let lastSweep = 0;
let running: Promise<void> | undefined;

/** Sweeps due mail after the current response (Next's after()), throttled; never throws. */
export function recoverSoon(now = Date.now()): void {
  if (running || now - lastSweep < SOON_INTERVAL_MS) return;
  lastSweep = now;
  running = recoverInbound({ limit: 10, budgetMs: 20_000 })
    .then((result) => {
      if (result.processed) console.log(`recovered ${result.processed} stored mail(s): ${JSON.stringify(result.outcomes)}`);
      deliverSoon(result.outboxIds);
    })
    .catch((error: unknown) => console.error("recovering stored mail failed (it is tried again later):", error))
    .finally(() => {
      running = undefined;
    });
  try {
    // On serverless hosts the function stays alive until the sweep is done.
    after(running);
  } catch {
    // after() throws outside a request scope.
  }
}
