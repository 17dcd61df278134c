// POST /api/v1/admin/inbound_emails/:id/replay — process a stored inbound mail again (instance admins).
import { apiRoute } from "@/lib/api/handler";
import { replayInboundMail } from "@/lib/data/mail-log";
import { notFound } from "@/lib/errors";
import { deliverSoon } from "@/lib/mail/deliver-soon";
import { notifySoon } from "@/lib/notifications/fan-out";

export const dynamic = "force-dynamic";

export const POST = apiRoute<{ id: string }>(
  async ({ actor, params }) => {
    if (!actor.isAdmin) throw notFound("Inbound email");
    const outcome = await replayInboundMail(actor, params.id);
    deliverSoon(outcome.outboxIds);
    notifySoon(outcome.eventIds);
    return { id: outcome.inboundEmailId, status: outcome.status, reason: outcome.reason, issue_iid: outcome.issueIid };
  },
  { write: true },
);
