"use server";
// Mail log actions: replay a stored inbound mail, retry a failed outgoing one (admins, or the project's Maintainers).
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action } from "@/lib/auth/action";
import { replayInboundMail, requeueOutboundMail } from "@/lib/data/mail-log";
import { deliverSoon } from "@/lib/mail/deliver-soon";
import { notifySoon } from "@/lib/notifications/fan-out";

const idSchema = z.object({ id: z.string().min(1).max(64) });

export const replayInboundAction = action(idSchema, async ({ id }, actor) => {
  const outcome = await replayInboundMail(actor, id);
  deliverSoon(outcome.outboxIds);
  notifySoon(outcome.eventIds);
  revalidatePath("/", "layout");
  return { status: outcome.status, issueIid: outcome.issueIid, reason: outcome.reason };
});

const requeueSchema = idSchema.extend({ from: z.enum(["failed", "held"]) });

// Retry (failed) and Release (held) are the same move: back in the queue, sent right away.
export const requeueOutboundAction = action(requeueSchema, async ({ id, from }, actor) => {
  await requeueOutboundMail(actor, id, from);
  deliverSoon([id]);
  revalidatePath("/", "layout");
  return { id };
});
