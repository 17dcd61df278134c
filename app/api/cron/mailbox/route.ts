// Mailbox intake for schedulers (serverless): `Authorization: Bearer $CRON_SECRET`; one bounded poll of each
// configured mailbox (IMAP_* / GRAPH_*), the thank-you mails it queued sent after the response.
import { NextResponse } from "next/server";
import { hasBearer } from "@/lib/auth/secret";
import { env } from "@/lib/env";
import { pollConfiguredMailboxes } from "@/lib/mail/mailbox/cron";

export const dynamic = "force-dynamic";
export const maxDuration = 60;

async function poll(request: Request) {
  const secret = env().CRON_SECRET;
  if (!hasBearer(request, secret))
    return NextResponse.json(
      { message: secret ? "401 Unauthorized" : "CRON_SECRET is not configured: the cron routes are closed." },
      { status: 401 },
    );
  return NextResponse.json({ mailboxes: await pollConfiguredMailboxes({ limit: 25 }) });
}

export const GET = poll;
export const POST = poll;
