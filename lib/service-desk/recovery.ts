// The sweeper: stored mail that never reached an outcome (its process died, or the database failed under it)
// is processed again without a person. Run after webhook requests (throttled), by `npm run worker`, and by
// /api/cron/inbound; each run is bounded in mails and time.
import { throttledSweep } from "@/lib/background";
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

/** Sweeps due mail after the current response, throttled; never throws. */
export const recoverSoon = throttledSweep(SOON_INTERVAL_MS, "recovering stored mail", async () => {
  const result = await recoverInbound({ limit: 10, budgetMs: 20_000 });
  if (result.processed) console.log(`recovered ${result.processed} stored mail(s): ${JSON.stringify(result.outcomes)}`);
  deliverSoon(result.outboxIds);
});
