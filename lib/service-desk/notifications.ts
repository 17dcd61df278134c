// Service Desk mail to customers: renders a template, stamps the threading and anti-loop headers of
// DESIGN.md, records the reply key and queues the mail in the caller's transaction.
import type { Db } from "@/lib/db/client";
import { env } from "@/lib/env";
import { enqueueMail, type MailInput } from "@/lib/mail/outbox";
import { messageIdHost, newReplyKey, replyAddress, SUPPORT_BOT_ID } from "./address";
import { renderServiceDeskTemplate, serviceDeskMailValues, serviceDeskTemplateSource, unsubscribeUrl } from "./render-mail";
import type { TemplateName } from "./templates";

type Tx = Pick<Db, "outboundEmail" | "sentNotification" | "serviceDeskEmailTemplate" | "note">;
type FullTx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

export interface ThreadContext {
  project: { id: number; fullPath: string };
  issue: { id: number; iid: number; title: string; description: string; externalMessageId: string | null; threadMessageId: string | null };
  outgoingName: string | null;
}

const bracket = (id: string) => `<${id}>`;

/** Values a caller supplies; the rest come from the issue (serviceDeskMailValues). */
export interface MailValues {
  NOTE_TEXT?: string;
  CLOSED_BY_URL?: string;
  CLOSED_BY_TITLE?: string;
}

/** What a Service Desk mail about an issue is built from (ThreadContext), with whether it is one. */
export const threadIssueSelect = {
  id: true,
  iid: true,
  title: true,
  description: true,
  authorId: true,
  externalMessageId: true,
  threadMessageId: true,
  project: { select: { id: true, fullPath: true, serviceDesk: { select: { outgoingName: true, emailOnClose: true } } } },
} as const;

/** The name Service Desk mail is sent under: the project's outgoing name, else "Support Bot". */
function displayName(outgoingName: string | null): string {
  return outgoingName?.trim() || "Support Bot";
}

/** `reply-KEY@host`: the thank-you's own Message-ID, and in later mails' References, so a reply that loses Reply-To still threads. */
function replyKeyMessageId(replyKey: string): string {
  return `reply-${replyKey}@${messageIdHost()}`;
}

/** Who wrote a comment, as mail clients show it (GitLab shows the author "via" the desk). */
export interface CommentAuthor {
  email: string;
  username: string;
  name: string | null;
}

export interface ServiceDeskMailOptions {
  template: TemplateName;
  to: string;
  subject: string;
  values?: MailValues;
  kind?: string;
  /** Defaults to the project's display name (outgoingName, else "Support Bot"). */
  fromName?: string;
  /** The template text when the caller read it already (serviceDeskTemplateSource); else it is read here. */
  templateContent?: string;
}

/** One Service Desk mail, rendered and addressed, before anything is written: the outbox row and its reply key. */
export interface PreparedServiceDeskMail {
  replyKey: string;
  /** The mail's Message-ID, without brackets (for the thank-you: the thread root, `reply-KEY@host`). */
  messageId: string;
  recipient: string;
  mail: MailInput;
}

/**
 * Renders one templated Service Desk mail to `to` and works out its threading headers. Reads nothing but the
 * project's template (unless `templateContent` is given), writes nothing: the caller stores the reply key and
 * queues the mail (`queueServiceDeskMail`, or intake's own write of a new issue).
 */
export async function prepareServiceDeskMail(
  tx: Pick<Db, "serviceDeskEmailTemplate">,
  context: Omit<ThreadContext, "issue"> & { issue: Omit<ThreadContext["issue"], "id"> & { id?: number } },
  options: ServiceDeskMailOptions,
): Promise<PreparedServiceDeskMail> {
  const { project, issue } = context;
  const host = messageIdHost();
  const replyKey = newReplyKey();
  // The thank-you is the thread root and carries the reply key in its own Message-ID; later mails get a
  // fresh Message-ID and carry `<reply-KEY@host>` in References, so a reply that loses Reply-To still threads.
  const threadRoot = options.template === "thank_you";
  const messageId = threadRoot ? replyKeyMessageId(replyKey) : `${crypto.randomUUID()}@${host}`;
  // The same rendering as the settings page's template preview: the project's wording when a maintainer saved
  // one, else emails/<name>.md.
  const content = options.templateContent ?? (await serviceDeskTemplateSource(tx, project.id, options.template)).content;
  const rendered = await renderServiceDeskTemplate(
    options.template,
    content,
    serviceDeskMailValues({
      project,
      issue,
      replyKey,
      noteText: options.values?.NOTE_TEXT,
      closedBy: options.values?.CLOSED_BY_URL || options.values?.CLOSED_BY_TITLE ? { url: options.values.CLOSED_BY_URL ?? "", title: options.values.CLOSED_BY_TITLE ?? "" } : undefined,
    }),
  );
  const unsubscribe = unsubscribeUrl(replyKey);

  // Thread: the customer's first mail, our thank-you (the thread root), and this mail's own reply key.
  const references = [issue.externalMessageId, issue.threadMessageId].filter((id): id is string => !!id && id !== messageId);
  const headers: Record<string, string> = {
    "Message-ID": bracket(messageId),
    "Auto-Submitted": options.template === "thank_you" ? "auto-replied" : "auto-generated",
    "X-Auto-Response-Suppress": "All",
    "List-Unsubscribe": `<${unsubscribe}>`,
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
  };
  if (references.length) headers["In-Reply-To"] = bracket(references.at(-1)!);
  const chain = threadRoot ? references : [...references, replyKeyMessageId(replyKey)];
  if (chain.length) headers["References"] = chain.map(bracket).join(" ");

  return {
    replyKey,
    messageId,
    recipient: options.to,
    mail: {
      kind: options.kind ?? options.template,
      to: options.to,
      subject: options.subject,
      text: rendered.text,
      html: rendered.html,
      fromName: options.fromName ?? displayName(context.outgoingName),
      replyTo: replyAddress(replyKey),
      headers,
      issueId: issue.id,
    },
  };
}

/** Queues one templated Service Desk mail to `to`; returns the outbox id and the mail's Message-ID (no brackets). */
export async function queueServiceDeskMail(tx: Tx, context: ThreadContext, options: ServiceDeskMailOptions): Promise<{ outboxId: string; messageId: string }> {
  return queuePreparedMail(tx, context.issue.id, context.project.id, await prepareServiceDeskMail(tx, context, options));
}

/** Stores a prepared mail's reply key and queues it, held when the loop brake says so. */
async function queuePreparedMail(tx: Tx, issueId: number, projectId: number, prepared: PreparedServiceDeskMail): Promise<{ outboxId: string; messageId: string }> {
  await tx.sentNotification.create({
    data: { replyKey: prepared.replyKey, projectId, issueId, recipient: prepared.recipient, messageId: prepared.messageId },
  });
  const held = await loopBrake(tx, issueId, prepared.recipient);
  const outboxId = await enqueueMail({ ...prepared.mail, held }, tx);
  return { outboxId, messageId: prepared.messageId };
}

/**
 * The loop brake: past LOOP_BRAKE_MAILS_PER_HOUR mails to one address on one issue within an hour, further
 * mail is held (an auto-responder answering every mail must not make us answer back thousands of times).
 * The first held mail of the hour leaves an internal note, so the team sees it and can release it.
 */
async function loopBrake(tx: Tx, issueId: number, to: string): Promise<boolean> {
  const since = new Date(Date.now() - 60 * 60_000);
  const limit = env().LOOP_BRAKE_MAILS_PER_HOUR;
  const recent = await tx.outboundEmail.count({ where: { issueId, to, createdAt: { gte: since }, status: { not: "held" } } });
  if (recent < limit) return false;
  const alreadyHeld = await tx.outboundEmail.count({ where: { issueId, to, createdAt: { gte: since }, status: "held" } });
  if (alreadyHeld === 0)
    await tx.note.create({
      data: {
        issueId,
        authorId: SUPPORT_BOT_ID,
        system: true,
        internal: true,
        body: `held mail to ${to}: ${limit} mails already went to this address for this issue in the last hour (a mail loop?). Release held mail in the project's mail log.`,
      },
    });
  return true;
}

/** Mails to an issue's email participants, rendered but not yet written (prepareParticipantMails). */
export interface PreparedParticipantMails {
  issueId: number;
  projectId: number;
  mails: PreparedServiceDeskMail[];
}

/**
 * Renders `template` for every subscribed external participant of a Service Desk issue (nothing for other
 * issues), with the thank-you's subject so mail clients keep one thread. A comment's mail (`author` given) is
 * sent as "<author> via <display name>"; the author's own address, or `exclude`, is skipped (they know what they
 * wrote). Writes nothing (queuePreparedParticipantMails does), so a caller can render outside its transaction.
 */
export async function prepareParticipantMails(
  reader: Pick<Db, "issue" | "serviceDeskEmailTemplate">,
  issueId: number,
  template: "new_note" | "issue_closed",
  values: MailValues = {},
  options: { author?: CommentAuthor; exclude?: string } = {},
): Promise<PreparedParticipantMails> {
  const issue = await reader.issue.findUniqueOrThrow({
    where: { id: issueId },
    select: { ...threadIssueSelect, participants: { where: { status: "subscribed" }, select: { email: true }, orderBy: { id: "asc" } } },
  });
  const prepared: PreparedParticipantMails = { issueId, projectId: issue.project.id, mails: [] };
  if (issue.authorId !== SUPPORT_BOT_ID) return prepared;
  if (template === "issue_closed" && !issue.project.serviceDesk?.emailOnClose) return prepared;
  const outgoingName = issue.project.serviceDesk?.outgoingName ?? null;
  const context = { project: issue.project, issue, outgoingName };
  const { author } = options;
  const fromName = author ? `${author.name?.trim() || author.username} via ${displayName(outgoingName)}` : undefined;
  // Participants are stored lower-cased.
  const skipped = (options.exclude ?? author?.email)?.toLowerCase();
  const recipients = issue.participants.map((p) => p.email).filter((email) => email.toLowerCase() !== skipped);
  // The template is read once for all of them.
  const templateContent = recipients.length ? (await serviceDeskTemplateSource(reader, issue.project.id, template)).content : undefined;
  for (const to of recipients) {
    prepared.mails.push(await prepareServiceDeskMail(reader, context, { template, to, subject: `Re: ${issue.title} (#${issue.iid})`, values, fromName, templateContent }));
    // A long note rendered for many participants must not hold up the requests arriving meanwhile.
    if (recipients.length > 1) await new Promise((resolve) => setImmediate(resolve));
  }
  return prepared;
}

/** Queues prepared participant mails in the caller's transaction (reply keys, loop brake); returns the outbox ids. */
export async function queuePreparedParticipantMails(tx: Tx, prepared: PreparedParticipantMails): Promise<string[]> {
  const ids: string[] = [];
  for (const mail of prepared.mails) ids.push((await queuePreparedMail(tx, prepared.issueId, prepared.projectId, mail)).outboxId);
  return ids;
}

/** prepareParticipantMails and queuePreparedParticipantMails in the caller's transaction; returns the outbox ids. */
export async function mailParticipants(
  tx: FullTx,
  issueId: number,
  template: "new_note" | "issue_closed",
  values: MailValues = {},
  options: { author?: CommentAuthor } = {},
): Promise<string[]> {
  return queuePreparedParticipantMails(tx, await prepareParticipantMails(tx, issueId, template, values, options));
}
