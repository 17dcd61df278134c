// SendGrid Event Webhook: verifies the signed batch and applies each event once (by sg_event_id) — a bounce or
// spam report stops mail to that participant, delivery events update the outbox row.
import { z } from "zod";
import { db } from "@/lib/db/client";
import { env } from "@/lib/env";
import { SUPPORT_BOT_ID } from "@/lib/service-desk/address";
import { verifySignature } from "@/lib/service-desk/webhook-auth";
import { EVENT_STATES } from "./outbox";

// SendGrid signs each POST with the time it sent it; an older signature is a replay, not a retry.
const MAX_SIGNATURE_AGE_S = 10 * 60;

export type EventAuth = { ok: true } | { ok: false; reason: string };

export function authenticateEvents(request: Request, body: Uint8Array, now = Date.now()): EventAuth {
  const publicKey = env().SENDGRID_EVENT_PUBLIC_KEY;
  if (!publicKey) return { ok: false, reason: "The event webhook is not configured: set SENDGRID_EVENT_PUBLIC_KEY." };
  const signature = request.headers.get("x-twilio-email-event-webhook-signature");
  const timestamp = request.headers.get("x-twilio-email-event-webhook-timestamp");
  if (!signature || !timestamp) return { ok: false, reason: "Missing SendGrid signature headers." };
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > MAX_SIGNATURE_AGE_S)
    return { ok: false, reason: "Stale or invalid SendGrid signature timestamp." };
  return verifySignature(publicKey, timestamp, body, signature) ? { ok: true } : { ok: false, reason: "Invalid SendGrid signature." };
}

const eventSchema = z.looseObject({
  event: z.string(),
  email: z.string(),
  sg_event_id: z.string().optional(),
  timestamp: z.number().optional(),
  reason: z.string().optional(),
  response: z.string().optional(),
  // Our custom_args come back as top-level fields of each event.
  outbound_email_id: z.string().optional(),
});
export type SendGridEventPayload = z.infer<typeof eventSchema>;

export const eventBatchSchema = z.array(eventSchema).max(10_000);

// What each event means for the participant and for the outbox row.
const PARTICIPANT_STATUS: Record<string, "bouncing" | "unsubscribed" | undefined> = {
  bounce: "bouncing",
  dropped: "bouncing",
  spamreport: "unsubscribed",
  unsubscribe: "unsubscribed",
  group_unsubscribe: "unsubscribed",
};
const OUTBOX_STATUS: Record<string, (typeof EVENT_STATES)[number] | undefined> = {
  delivered: "delivered",
  deferred: "deferred",
  bounce: "bounced",
  dropped: "bounced",
};
// An event says SendGrid has the mail, whatever our own record says yet: `sending` (the sender's outcome write
// has not landed — it then keeps the event's state, see lib/mail/outbox.ts), `pending` or `failed` (SendGrid
// took it but its answer was lost, e.g. a timeout: no retry is needed). A later event never moves a row back:
// delivered/bounced are final, deferred only follows these.
const NOT_YET_SENT = ["pending", "sending", "failed"];
const OUTBOX_FROM: Record<(typeof EVENT_STATES)[number], string[]> = {
  deferred: [...NOT_YET_SENT, "sent"],
  delivered: [...NOT_YET_SENT, "sent", "deferred"],
  bounced: [...NOT_YET_SENT, "sent", "deferred", "delivered"],
};

const NOTE: Record<string, (email: string, detail: string) => string> = {
  bouncing: (email, detail) => `mail to ${email} bounced${detail ? ` (${detail})` : ""}: no more mail goes to this address for this issue`,
  unsubscribed: (email) => `${email} unsubscribed (or reported spam): no more mail goes to this address for this issue`,
};

export interface EventsResult {
  received: number;
  applied: number;
  duplicates: number;
}

/** Applies a verified batch; each event in its own transaction, so one bad event cannot undo the others. */
export async function applyEvents(events: SendGridEventPayload[]): Promise<EventsResult> {
  const result: EventsResult = { received: events.length, applied: 0, duplicates: 0 };
  for (const event of events) {
    const applied = await db().$transaction(async (tx) => {
      if (event.sg_event_id) {
        // ON CONFLICT DO NOTHING: a seen event inserts nothing (a failed insert would abort the transaction).
        const { count } = await tx.sendGridEvent.createMany({
          data: [{ id: event.sg_event_id, event: event.event, email: event.email.slice(0, 320), outboundEmailId: event.outbound_email_id }],
          skipDuplicates: true,
        });
        if (count === 0) return false;
      }
      const detail = (event.reason ?? event.response ?? "").slice(0, 500);
      const outbox = event.outbound_email_id
        ? await tx.outboundEmail.findUnique({ where: { id: event.outbound_email_id }, select: { id: true, issueId: true, to: true } })
        : null;

      const outboxStatus = OUTBOX_STATUS[event.event];
      if (outbox && outboxStatus)
        await tx.outboundEmail.updateMany({
          where: { id: outbox.id, status: { in: OUTBOX_FROM[outboxStatus] } },
          // Delivered: an earlier attempt's error (e.g. a timeout whose mail got through after all) is no longer true.
          data: { status: outboxStatus, error: outboxStatus === "delivered" ? null : detail || null },
        });

      const participantStatus = PARTICIPANT_STATUS[event.event];
      if (participantStatus) {
        const email = (outbox?.to ?? event.email).toLowerCase();
        // Known mail: that issue only. An address-level event (no outbox id) concerns every issue it is on.
        const marked = await tx.issueEmailParticipant.updateManyAndReturn({
          where: { email, status: { not: participantStatus }, ...(outbox?.issueId ? { issueId: outbox.issueId } : {}) },
          data: { status: participantStatus },
          select: { issueId: true },
        });
        if (marked.length)
          await tx.note.createMany({
            data: marked.map(({ issueId }) => ({
              issueId,
              authorId: SUPPORT_BOT_ID,
              system: true,
              internal: true,
              body: NOTE[participantStatus](email, detail),
            })),
          });
      }
      return true;
    });
    if (applied) result.applied++;
    else result.duplicates++;
  }
  return result;
}
