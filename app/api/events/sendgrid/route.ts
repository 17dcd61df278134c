// SendGrid Event Webhook: signed batches of delivery events (bounce, dropped, spamreport, unsubscribe,
// delivered, deferred …) applied once each; 401 for anything not signed with SENDGRID_EVENT_PUBLIC_KEY.
import { NextResponse } from "next/server";
import { applyEvents, authenticateEvents, eventBatchSchema } from "@/lib/mail/events";

export const dynamic = "force-dynamic";

// SendGrid batches events; a few MB is far above what one POST carries.
const MAX_BODY_BYTES = 5 * 1048576;

export async function POST(request: Request) {
  const body = new Uint8Array(await request.arrayBuffer());
  if (body.byteLength > MAX_BODY_BYTES) return NextResponse.json({ message: "Event batch too large." }, { status: 413 });
  const auth = authenticateEvents(request, body);
  if (!auth.ok) return NextResponse.json({ message: auth.reason }, { status: 401 });

  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body).toString("utf8"));
  } catch {
    return NextResponse.json({ message: "The body is not JSON." }, { status: 400 });
  }
  const parsed = eventBatchSchema.safeParse(json);
  if (!parsed.success) return NextResponse.json({ message: "Expected a JSON array of SendGrid events." }, { status: 400 });
  try {
    return NextResponse.json(await applyEvents(parsed.data));
  } catch (error) {
    // 5xx: SendGrid retries the batch, and events already applied are skipped by their sg_event_id.
    console.error("SendGrid events could not be applied:", error);
    return NextResponse.json({ message: "Could not apply the events; SendGrid will retry." }, { status: 503 });
  }
}
