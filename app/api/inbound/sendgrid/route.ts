// SendGrid Inbound Parse webhook: authenticate, store the request as it arrived, process it, answer 200
// with the outcome. Only a failure to store answers 5xx (SendGrid retries those; it drops mail on 4xx).
// After the answer, stored mail that an earlier request left unfinished is swept up (recoverSoon).
import { NextResponse } from "next/server";
import { answering } from "@/lib/background";
import { crashPoint } from "@/lib/fault-injection";
import { deliverSoon } from "@/lib/mail/deliver-soon";
import { readCappedBody } from "@/lib/read-capped-body";
import { notifySoon, sweepEventsSoon } from "@/lib/notifications/fan-out";
import { recoverSoon } from "@/lib/service-desk/recovery";
import { MAX_INBOUND_BYTES, processInbound, storeInbound } from "@/lib/service-desk/intake";
import { authenticateInbound } from "@/lib/service-desk/webhook-auth";

export const dynamic = "force-dynamic";
export const maxDuration = 60;

const tooLarge = () =>
  NextResponse.json({ status: "rejected", reason: `Mail over ${MAX_INBOUND_BYTES / 1048576} MB.` }, { status: 413 });

// Counted as being answered: the team's notifications (fan-out) wait until the answers are out (lib/background.ts).
export const POST = (request: Request) => answering(() => receive(request));

async function receive(request: Request) {
  const body = await readCappedBody(request, MAX_INBOUND_BYTES);
  if (!body) return tooLarge();

  const auth = authenticateInbound(request, body);
  if (!auth.ok) return NextResponse.json({ message: auth.reason }, { status: 401 });

  const contentType = request.headers.get("content-type") ?? "application/octet-stream";
  let id: string;
  try {
    id = await storeInbound(body, contentType);
  } catch (error) {
    console.error("inbound mail could not be stored:", error);
    return NextResponse.json({ status: "failed", reason: "Could not store the mail; please retry." }, { status: 503 });
  }

  crashPoint("after-store");

  let outcome;
  try {
    outcome = await processInbound(id, { stored: { payload: body, contentType } });
  } catch (error) {
    // Stored is safe: answer 200 so SendGrid does not resend; the row stays `received` and the sweeper
    // (lib/service-desk/recovery.ts) processes it again once its lease runs out.
    console.error(`inbound mail ${id} could not be processed:`, error);
    recoverSoon();
    return NextResponse.json({ status: "failed", inboundEmailId: id, issueIid: null, reason: "Stored; processing failed and is retried automatically." });
  }
  deliverSoon(outcome.outboxIds);
  // The team hears of the new request or reply (fanned out after the answer); earlier leftovers are swept.
  notifySoon(outcome.eventIds);
  recoverSoon();
  sweepEventsSoon();
  crashPoint("before-answer");
  return NextResponse.json({
    status: outcome.status,
    inboundEmailId: outcome.inboundEmailId,
    issueIid: outcome.issueIid,
    reason: outcome.reason,
  });
}
