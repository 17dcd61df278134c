// The sweeper for code-host deliveries an interrupted or failed processing left unfinished: run by the worker
// and /api/cron/inbound (which send the mail it queued: `outboxIds`). GitHub and GitLab never redeliver on their own, so this is what makes a delivery count.
import { throttledSweep } from "@/lib/background";
import { claimDelivery, dueDeliveries, finishDelivery, loadDelivery, retryDeliveryLater } from "@/lib/data/code-host-deliveries";
import { deliverSoon } from "@/lib/mail/deliver-soon";
import { env } from "@/lib/env";
import { processDelivery } from "./process-delivery";

/** A delivery still failing after this long is given up (failed, with its last error kept). */
export const DELIVERY_GIVE_UP_MS = 24 * 60 * 60_000;


/** When try `attempt` (1 = the first retry) happens: 30 s, 1, 2, 4 … minutes, at most an hour apart. */
export function deliveryRetryAt(now: Date, attempt: number): Date {
  const seconds = Math.min(30 * 2 ** Math.max(0, attempt - 1), 3600);
  return new Date(now.getTime() + seconds * 1000);
}

export interface DeliveryRecovery {
  processed: number;
  failed: number;
  outboxIds: string[];
  more: boolean;
}

export async function recoverDeliveries(options: { limit?: number; now?: Date } = {}): Promise<DeliveryRecovery> {
  const limit = options.limit ?? 50;
  const now = options.now ?? new Date();
  const due = await dueDeliveries(now, limit + 1);
  const result: DeliveryRecovery = { processed: 0, failed: 0, outboxIds: [], more: due.length > limit };
  for (const row of due.slice(0, limit)) {
    // Tried for a day (e.g. it kills its process every time, so no catch below ever ran): give it up.
    if (now.getTime() - row.receivedAt.getTime() >= DELIVERY_GIVE_UP_MS && row.attempts > 1) {
      if (await claimDelivery(row.id, env().INBOUND_LEASE_SECONDS, now, row.attempts)) {
        const delivery = await loadDelivery(row.id);
        if (delivery)
          await finishDelivery(row.id, delivery.repository.id, { status: "failed", summary: delivery.event, sender: null, outcome: `Given up after 24 hours and ${row.attempts} attempts; redeliver it from the host to try again.`, error: null }, now);
        result.failed++;
      }
      continue;
    }
    if (!(await claimDelivery(row.id, env().INBOUND_LEASE_SECONDS, now, row.attempts))) continue;
    try {
      const done = await processDelivery(row.id);
      if (done) {
        result.processed++;
        result.outboxIds.push(...done.outboxIds);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (now.getTime() - row.receivedAt.getTime() >= DELIVERY_GIVE_UP_MS) {
        const delivery = await loadDelivery(row.id);
        if (delivery)
          await finishDelivery(row.id, delivery.repository.id, { status: "failed", summary: delivery.event, sender: null, outcome: "Given up after 24 hours of failed attempts; redeliver it from the host to try again.", error: message }, now);
        result.failed++;
      } else {
        await retryDeliveryLater(row.id, deliveryRetryAt(now, row.attempts + 1), message);
      }
    }
  }
  return result;
}

/** Sweeps due deliveries after the current response (at most every 10 s a process); never throws. */
export const recoverDeliveriesSoon = throttledSweep(10_000, "recovering code-host deliveries", async () => {
  deliverSoon((await recoverDeliveries({ limit: 10 })).outboxIds);
});
