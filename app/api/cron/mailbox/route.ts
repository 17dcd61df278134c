// Mailbox intake for schedulers (serverless): `Authorization: Bearer $CRON_SECRET`; one bounded poll of each
// configured mailbox (IMAP_* / GRAPH_*), the thank-you mails it queued sent after the response.
import { cronRoute } from "@/lib/api/cron-route";
import { pollConfiguredMailboxes } from "@/lib/mail/mailbox/cron";
import { deliverOutbox } from "@/lib/mail/outbox";
import { fanOutEvents } from "@/lib/notifications/fan-out";

export const dynamic = "force-dynamic";
export const maxDuration = 60;

const poll = cronRoute(async () => {
  const mailboxes = await pollConfiguredMailboxes({ limit: 25 });
  // The team's notifications of what the mail brought (and of anything left pending before).
  const notifications = await fanOutEvents({ limit: 100 });
  if (notifications.outboxIds.length) await deliverOutbox({ ids: notifications.outboxIds });
  return { mailboxes, team_notifications: { events: notifications.events, mails: notifications.mails } };
});

export const GET = poll;
export const POST = poll;
