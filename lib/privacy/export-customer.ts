// Export on request (`customer:export`, GET /api/v1/admin/customers/:email/export): one JSON document with
// everything held about an external address — issues and comments they wrote or were mailed, participations,
// mail sent to them, their stored raw mail (while held) and attachments, unsubscribe and bounce state.
import type { Actor } from "@/lib/auth/actor";
import { loadCustomerRecords } from "@/lib/data/customers";
import { decodeUtf8Lenient } from "@/lib/mail/inbound/charset";
import { customerAddress, requireInstanceAdmin } from "./customer-address";

const iso = (date: Date | null) => date?.toISOString() ?? null;
const ref = (issue: { iid: number; project: { fullPath: string } } | null) => (issue ? `${issue.project.fullPath}#${issue.iid}` : null);

export async function exportCustomer(actor: Actor | null, email: string) {
  requireInstanceAdmin(actor);
  const address = customerAddress(email);
  const records = await loadCustomerRecords(address);
  const isTheirs = (value: string | null) => value?.toLowerCase() === address;
  return {
    email: address,
    exported_at: new Date().toISOString(),
    has_user_account: records.hasUserAccount,
    issues: records.issues.map((issue) => ({
      reference: ref(issue),
      title: issue.title,
      description: issue.description,
      state: issue.state.toLowerCase(),
      confidential: issue.confidential,
      relation: isTheirs(issue.externalAuthor) ? "author" : "participant",
      created_at: iso(issue.createdAt),
      closed_at: iso(issue.closedAt),
      // Public comments: theirs, and the team's that were mailed to the issue's participants.
      comments: issue.notes.map((note) => ({
        id: note.id,
        by_customer: isTheirs(note.externalAuthor),
        author: isTheirs(note.externalAuthor) ? address : (note.externalAuthor ?? note.author?.name ?? note.author?.username ?? null),
        body: note.body,
        created_at: iso(note.createdAt),
      })),
    })),
    notes_written: records.authoredNotes.map((note) => ({
      id: note.id,
      issue: ref(note.issue),
      body: note.body,
      internal: note.internal,
      created_at: iso(note.createdAt),
    })),
    participations: records.participations.map((p) => ({ issue: ref(p.issue), status: p.status, created_at: iso(p.createdAt) })),
    mails_sent_to_them: records.outbound.map((mail) => ({
      id: mail.id,
      kind: mail.kind,
      subject: mail.subject,
      status: mail.status,
      error: mail.error,
      created_at: iso(mail.createdAt),
      sent_at: iso(mail.sentAt),
      body_purged_at: iso(mail.purgedAt),
      text: mail.purgedAt ? null : mail.text,
      html: mail.purgedAt ? null : mail.html,
    })),
    mails_received_from_them: records.inbound.map((mail) => ({
      id: mail.id,
      status: mail.status,
      subject: mail.subject,
      message_id: mail.messageId,
      issue: ref(mail.issue),
      received_at: iso(mail.receivedAt),
      raw_purged_at: iso(mail.purgedAt),
      headers_summary: mail.headersSummary,
      raw: mail.purgedAt ? null : { content_type: mail.payloadContentType, text: decodeUtf8Lenient(new Uint8Array(mail.payload)).text },
      attachments: mail.attachments.map((file) => ({
        id: file.id,
        filename: file.filename,
        content_type: file.contentType,
        size: file.size,
        data_base64: Buffer.from(file.data).toString("base64"),
      })),
    })),
    reply_keys_issued: records.notifications.map((n) => ({ issue: ref(n.issue), message_id: n.messageId, created_at: iso(n.createdAt) })),
    delivery: {
      unsubscribed_from: records.participations.filter((p) => p.status === "unsubscribed").map((p) => ref(p.issue)),
      bouncing_on: records.participations.filter((p) => p.status === "bouncing").map((p) => ref(p.issue)),
      events: records.events.map((e) => ({ event: e.event, outbound_email_id: e.outboundEmailId, received_at: iso(e.receivedAt) })),
    },
  };
}
