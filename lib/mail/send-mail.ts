// Sends one mail now (sign-in links and other mail a user is waiting for): stored in the outbox, then
// delivered at once. Without SENDGRID_API_KEY it is kept for /dev/mailbox.
import { db } from "@/lib/db/client";
import { deliverOutbox, enqueueMail, type MailInput } from "./outbox";

export type { MailInput };

export interface MailResult {
  id: string;
  status: "dev" | "sent" | "failed" | "pending";
  error?: string;
}

export async function sendMail(input: MailInput): Promise<MailResult> {
  const id = await enqueueMail(input);
  const delivery = await deliverOutbox({ ids: [id] });
  const row = await db().outboundEmail.findUniqueOrThrow({ where: { id }, select: { status: true, error: true } });
  const status = row.status as MailResult["status"];
  return { id, status, error: delivery.errors[id] ?? row.error ?? undefined };
}

/** Escapes text for inclusion in the small HTML bodies the app writes itself. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
