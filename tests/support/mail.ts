// Builds test mails (RFC 5322 text) and delivers them through the real intake, the way the webhook does.
import { randomBytes } from "node:crypto";
import { buildSendGridRequest } from "@/lib/mail/inbound/sendgrid-form";
import { processInbound, storeInbound, type IntakeOutcome } from "@/lib/service-desk/intake";

export interface MailSpec {
  from?: string;
  to?: string;
  cc?: string;
  replyTo?: string;
  subject?: string;
  messageId?: string | null;
  inReplyTo?: string;
  references?: string;
  headers?: Record<string, string>;
  body?: string;
  attachment?: { filename: string; contentType: string; content: Buffer };
}

export const newMessageId = () => `${randomBytes(8).toString("hex")}@customer.example`;

export function eml(spec: MailSpec): string {
  const lines = [
    `From: ${spec.from ?? "Jake Customer <jake@customer.example>"}`,
    `To: ${spec.to ?? "support@example.com"}`,
    ...(spec.cc ? [`Cc: ${spec.cc}`] : []),
    ...(spec.replyTo ? [`Reply-To: ${spec.replyTo}`] : []),
    `Subject: ${spec.subject ?? "The printer is on fire"}`,
    `Date: Tue, 24 Nov 2026 10:00:00 +0000`,
    ...(spec.messageId === null ? [] : [`Message-ID: <${spec.messageId ?? newMessageId()}>`]),
    ...(spec.inReplyTo ? [`In-Reply-To: ${spec.inReplyTo}`] : []),
    ...(spec.references ? [`References: ${spec.references}`] : []),
    ...Object.entries(spec.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    "MIME-Version: 1.0",
  ];
  const body = spec.body ?? "Hello,\n\nsmoke is coming out of the printer. Please help.\n\nJake";
  if (!spec.attachment) return [...lines, "Content-Type: text/plain; charset=utf-8", "", body, ""].join("\r\n");
  const boundary = "b0undary42";
  return [
    ...lines,
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    "",
    body,
    `--${boundary}`,
    `Content-Type: ${spec.attachment.contentType}; name="${spec.attachment.filename}"`,
    `Content-Disposition: attachment; filename="${spec.attachment.filename}"`,
    "Content-Transfer-Encoding: base64",
    "",
    spec.attachment.content.toString("base64").replace(/.{76}/g, "$&\r\n"),
    `--${boundary}--`,
    "",
  ].join("\r\n");
}

/** Stores and processes a mail exactly as the webhook would (its request body built as SendGrid posts it). */
export async function deliver(
  raw: string,
  mode: "raw" | "parsed" = "raw",
  options: { to?: string[]; spamScore?: number } = {},
): Promise<IntakeOutcome> {
  const { body, contentType } = await buildSendGridRequest(raw, mode, options);
  const id = await storeInbound(body, contentType);
  return processInbound(id, { stored: { payload: body, contentType } });
}
