// Stored mail (and code-host deliveries) that never reached an outcome, processed again for schedulers (Vercel Cron, any external cron):
// `Authorization: Bearer $CRON_SECRET`. Bounded per call; `more` says another call has work.
import { cronRoute } from "@/lib/api/cron-route";
import { recoverDeliveries } from "@/lib/code-hosts/recover-deliveries";
import { deliverOutbox } from "@/lib/mail/outbox";
import { fanOutEvents } from "@/lib/notifications/fan-out";
import { recoverInbound } from "@/lib/service-desk/recovery";

export const dynamic = "force-dynamic";
export const maxDuration = 60;

const sweep = cronRoute(async () => {
  const { outboxIds, ...result } = await recoverInbound({ limit: 100, budgetMs: 40_000 });
  // Code-host deliveries left unfinished too: like mail, nobody resends them.
  const { outboxIds: closeMails, ...deliveries } = await recoverDeliveries({ limit: 50 });
  // Team notifications left pending (a process died after the commit, or fan-out failed).
  const { outboxIds: teamMails, ...notifications } = await fanOutEvents({ limit: 100 });
  const ids = [...outboxIds, ...closeMails, ...teamMails];
  const delivery = ids.length ? await deliverOutbox({ ids }) : undefined;
  return { ...result, code_host_deliveries: deliveries, team_notifications: notifications, thank_yous_sent: delivery?.sent ?? 0 };
});

export const GET = sweep;
export const POST = sweep;
