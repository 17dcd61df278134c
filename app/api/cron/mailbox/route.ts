// Mailbox intake for schedulers (serverless): `Authorization: Bearer $CRON_SECRET`; one bounded poll of each
// configured mailbox (IMAP_* / GRAPH_*), the thank-you mails it queued sent after the response.
import { cronRoute } from "@/lib/api/cron-route";
import { pollConfiguredMailboxes } from "@/lib/mail/mailbox/cron";

export const dynamic = "force-dynamic";
export const maxDuration = 60;

const poll = cronRoute(async () => ({ mailboxes: await pollConfiguredMailboxes({ limit: 25 }) }));

export const GET = poll;
export const POST = poll;
