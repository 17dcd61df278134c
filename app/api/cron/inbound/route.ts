// Stored mail that never reached an outcome, processed again for schedulers (Vercel Cron, any external cron):
// `Authorization: Bearer $CRON_SECRET`. Bounded per call; `more` says another call has work.
import { cronRoute } from "@/lib/api/cron-route";
import { deliverOutbox } from "@/lib/mail/outbox";
import { recoverInbound } from "@/lib/service-desk/recovery";

export const dynamic = "force-dynamic";
export const maxDuration = 60;

const sweep = cronRoute(async () => {
  const { outboxIds, ...result } = await recoverInbound({ limit: 100, budgetMs: 40_000 });
  const delivery = outboxIds.length ? await deliverOutbox({ ids: outboxIds }) : undefined;
  return { ...result, thank_yous_sent: delivery?.sent ?? 0 };
});

export const GET = sweep;
export const POST = sweep;
