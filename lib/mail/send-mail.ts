// The app's one mail path: every outgoing mail is recorded (the mail log / dev mailbox), then sent through
// SendGrid when SENDGRID_API_KEY is set, or kept for /dev/mailbox when it is not.
import { randomUUID } from "node:crypto";
import { db } from "@/lib/db/client";
import { env } from "@/lib/env";
import { describeSendGridError, sendViaSendGrid } from "./sendgrid";

export interface MailInput {
  /** What the mail is for, e.g. "sign_in", "member_added". */
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  fromName?: string;
  replyTo?: string;
  headers?: Record<string, string>;
  /**
   * The mail carries a credential (a sign-in link): once SendGrid has it, the stored copy is redacted so a
   * database reader cannot sign in as someone else. Kept whole only in the dev mailbox.
   */
  sensitive?: boolean;
}

export interface MailResult {
  id: string;
  status: "dev" | "sent" | "failed";
  error?: string;
}

function messageIdHost(): string {
  return new URL(env().APP_URL).hostname || "localhost";
}

const REDACTED = "[redacted: this mail carried a sign-in link]";

export async function sendMail(input: MailInput): Promise<MailResult> {
  const config = env();
  const headers = { "Message-ID": `<${randomUUID()}@${messageIdHost()}>`, ...input.headers };
  const row = await db().outboundEmail.create({
    data: {
      kind: input.kind,
      to: input.to,
      fromEmail: config.SENDGRID_FROM_EMAIL,
      fromName: input.fromName ?? "Service Desk",
      replyTo: input.replyTo,
      subject: input.subject,
      text: input.text,
      html: input.html,
      headers,
      status: config.SENDGRID_API_KEY ? "sending" : "dev",
      transport: config.SENDGRID_API_KEY ? "sendgrid" : "dev",
    },
    select: { id: true },
  });
  if (!config.SENDGRID_API_KEY) return { id: row.id, status: "dev" };

  try {
    const providerMessageId = await sendViaSendGrid({
      to: input.to,
      from: { email: config.SENDGRID_FROM_EMAIL, name: input.fromName ?? "Service Desk" },
      replyTo: input.replyTo,
      subject: input.subject,
      text: input.text,
      html: input.html,
      headers,
      customArgs: { outbound_email_id: row.id },
    });
    await db().outboundEmail.update({
      where: { id: row.id },
      data: {
        status: "sent",
        sentAt: new Date(),
        attempts: { increment: 1 },
        providerMessageId,
        ...(input.sensitive ? { text: REDACTED, html: REDACTED } : {}),
      },
    });
    return { id: row.id, status: "sent" };
  } catch (error) {
    const message = describeSendGridError(error);
    await db().outboundEmail.update({
      where: { id: row.id },
      data: { status: "failed", error: message, attempts: { increment: 1 }, ...(input.sensitive ? { text: REDACTED, html: REDACTED } : {}) },
    });
    return { id: row.id, status: "failed", error: message };
  }
}

/** Escapes text for inclusion in the small HTML bodies the app writes itself. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
