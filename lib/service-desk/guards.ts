// Guards against mail no human wrote: auto-replies, bounces, mailing lists and our own mail coming back.
// Answering such mail is how support tools end up in endless auto-reply loops.
import type { InboundMessage } from "@/lib/mail/inbound/types";

function header(message: InboundMessage, name: string): string[] {
  return message.headers[name.toLowerCase()] ?? [];
}

const first = (values: string[]) => values[0]?.trim().toLowerCase() ?? "";

/** Why this mail must not become an issue or a note (it is `ignored`), or undefined for mail from a person. */
export function automatedMailReason(message: InboundMessage, ownOrigin: string): string | undefined {
  if (header(message, "x-service-desk-origin").some((v) => v.trim().toLowerCase() === ownOrigin.toLowerCase()))
    return "Mail sent by this Service Desk came back (loop prevented).";
  const autoSubmitted = first(header(message, "auto-submitted"));
  if (autoSubmitted && autoSubmitted !== "no") return `Auto-Submitted: ${autoSubmitted} (automatic reply).`;
  if (header(message, "x-autoreply").length) return "X-Autoreply header (automatic reply).";
  if (header(message, "x-autorespond").length) return "X-Autorespond header (automatic reply).";
  const precedence = first(header(message, "precedence"));
  if (["bulk", "junk", "list", "auto_reply"].includes(precedence)) return `Precedence: ${precedence} (bulk or list mail).`;
  if (header(message, "list-id").length) return "List-Id header (mailing list).";
  if (message.contentType === "multipart/report") return "Delivery report (multipart/report bounce).";
  const sender = (message.from?.address ?? "").split("@")[0];
  if (/^(mailer-daemon|postmaster)$/i.test(sender)) return `Sender ${message.from?.address} is a mail system.`;
  const returnPath = header(message, "return-path").map((v) => v.trim());
  if (returnPath.length && returnPath.every((v) => v === "<>" || v === "")) return "Null return path (bounce).";
  if (message.envelope.from !== undefined && message.envelope.from.trim() === "")
    return "Null envelope sender (bounce).";
  return undefined;
}

/** The customer's address: Reply-To, else From, else Sender (GitLab's order). */
export function externalAuthor(message: InboundMessage): string | undefined {
  return message.replyTo[0]?.address ?? message.from?.address ?? message.sender?.address;
}
