// Intake: what happens to one inbound mail. It is stored first (nothing is ever lost), then interpreted in
// one transaction — a new confidential issue or a note on the issue it answers — and the outcome recorded.
// A bug while interpreting leaves the stored mail `failed` with the error, ready to be replayed.
import { createHash } from "node:crypto";
import { db, type Db } from "@/lib/db/client";
import { isUniqueViolation } from "@/lib/data/users";
import { env } from "@/lib/env";
import { parseSendGridBody } from "@/lib/mail/inbound/parse-sendgrid";
import { parseRawMime } from "@/lib/mail/inbound/parse-mime";
import type { InboundAttachment, InboundMessage } from "@/lib/mail/inbound/types";
import { isOwnAddress, messageIdHost, SUPPORT_BOT_ID } from "./address";
import { bodyFromMail, withCollapsedQuote } from "./body";
import { akismetVerdict } from "./akismet";
import { automatedMailReason, externalAuthor } from "./guards";
import { queueServiceDeskMail } from "./notifications";
import { hitRateLimit } from "./rate-limit";
import { routeMessage } from "./routing";

export const MAX_INBOUND_BYTES = 30 * 1024 * 1024;
export const MAX_PARTICIPANTS = 10;
export const NEW_ISSUES_PER_SENDER_PER_HOUR = 20;
const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
const MAX_ATTACHMENTS_TOTAL_BYTES = 25 * 1024 * 1024;

export type IntakeStatus = "created_issue" | "added_note" | "duplicate" | "ignored" | "rejected" | "spam" | "failed";

export interface IntakeOutcome {
  status: IntakeStatus;
  inboundEmailId: string;
  issueIid: number | null;
  reason: string | null;
  /** Outbox rows this mail queued, to deliver once the response is sent. */
  outboxIds: string[];
}

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/** Stores the request exactly as it arrived. The only step whose failure makes the webhook answer 5xx. */
export async function storeInbound(payload: Uint8Array, contentType: string, source = "sendgrid"): Promise<string> {
  const row = await db().inboundEmail.create({
    data: { payload: new Uint8Array(payload), payloadContentType: contentType, size: payload.byteLength, source },
    select: { id: true },
  });
  return row.id;
}

/**
 * A mailbox message over MAX_INBOUND_BYTES (the webhook answers those 413 before storing): its header block
 * is kept, so the mail log shows who sent what, and it is recorded as `ignored` — not replayable, since the
 * body is gone — instead of blocking every poll behind it.
 */
export async function storeOversized(raw: Uint8Array, source: string): Promise<IntakeOutcome> {
  const text = Buffer.from(raw.subarray(0, 64 * 1024)).toString("latin1");
  const end = text.search(/\r?\n\r?\n/);
  const headers = Buffer.from(end >= 0 ? text.slice(0, end) : text, "latin1");
  const parsed = await parseRawMime(Buffer.concat([headers, Buffer.from("\r\n\r\n")])).catch(() => undefined);
  const reason = `Mail over ${MAX_INBOUND_BYTES / 1048576} MB (${(raw.byteLength / 1048576).toFixed(1)} MB): not taken in; only its headers are kept.`;
  const row = await db().inboundEmail.create({
    data: {
      payload: new Uint8Array(headers),
      payloadContentType: "message/rfc822",
      size: raw.byteLength,
      source,
      status: "ignored",
      reason,
      processedAt: new Date(),
      messageId: parsed?.messageId?.slice(0, 998) ?? null,
      fromAddress: parsed?.from?.address ?? null,
      subject: parsed?.subject.slice(0, 998) || null,
    },
    select: { id: true },
  });
  return { status: "ignored", inboundEmailId: row.id, issueIid: null, reason, outboxIds: [] };
}

async function finish(
  id: string,
  outcome: Omit<IntakeOutcome, "inboundEmailId" | "outboxIds" | "issueIid"> & { issueId?: number; noteId?: number; issueIid?: number; projectId?: number; error?: string },
  outboxIds: string[] = [],
): Promise<IntakeOutcome> {
  await db().inboundEmail.update({
    where: { id },
    data: {
      status: outcome.status,
      reason: outcome.reason,
      error: outcome.error ?? null,
      processedAt: new Date(),
      ...(outcome.issueId ? { issueId: outcome.issueId } : {}),
      ...(outcome.noteId ? { noteId: outcome.noteId } : {}),
      ...(outcome.projectId ? { projectId: outcome.projectId } : {}),
    },
  });
  return { status: outcome.status, inboundEmailId: id, issueIid: outcome.issueIid ?? null, reason: outcome.reason, outboxIds };
}

/**
 * Postgres text cannot hold NUL characters, and mail can contain them anywhere: they are dropped from every
 * string of the message once, so nothing downstream has to think about them.
 */
function withoutNul<T>(value: T): T {
  if (typeof value === "string") return value.replace(/\u0000/g, "") as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value && typeof value === "object" && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[withoutNul(key)] = withoutNul(inner);
    return out as T;
  }
  return value;
}

/** Identity of a mail for dedupe: its Message-ID, or a hash of what it says when it has none. */
function identity(message: InboundMessage): string {
  if (message.messageId) return `mid:${message.messageId.toLowerCase()}`;
  const hash = createHash("sha256");
  for (const part of [message.from?.address, message.subject, (message.headers.date ?? []).join(), message.text, message.html])
    hash.update(`${part ?? ""}\u0000`);
  return `sha256:${hash.digest("hex")}`;
}

/** Keeps attachments within the caps; says what was skipped so the thread can show it. */
function acceptedAttachments(files: InboundAttachment[]): { kept: InboundAttachment[]; skipped: string[] } {
  const kept: InboundAttachment[] = [];
  const skipped: string[] = [];
  let total = 0;
  for (const file of files) {
    if (file.size > MAX_ATTACHMENT_BYTES) skipped.push(`${file.filename} (${Math.ceil(file.size / 1048576)} MB is over the 10 MB limit per file)`);
    else if (total + file.size > MAX_ATTACHMENTS_TOTAL_BYTES) skipped.push(`${file.filename} (over the 25 MB limit per mail)`);
    else {
      kept.push(file);
      total += file.size;
    }
  }
  return { kept, skipped };
}

function skippedNote(skipped: string[]): string {
  return skipped.length ? `\n\n_Attachments not stored: ${skipped.join("; ")}._` : "";
}

async function storeAttachments(tx: Tx, files: InboundAttachment[], target: { issueId: number; noteId?: number; inboundEmailId: string }) {
  for (const file of files)
    await tx.attachment.create({
      data: {
        ...target,
        // A name from a stranger's mail: no directories, no control characters.
        filename: (file.filename.split(/[\\/]/).pop() || "attachment").replace(/[\u0000-\u001f\u007f]/g, "_").slice(0, 255),
        contentType: file.contentType,
        size: file.size,
        data: new Uint8Array(file.content),
      },
    });
}

type Settings = NonNullable<Awaited<ReturnType<typeof loadSettings>>>;

function loadSettings(projectId: number) {
  return db().serviceDeskSetting.findUnique({
    where: { projectId },
    include: { project: { select: { id: true, fullPath: true } } },
  });
}

function participantsFor(message: InboundMessage, author: string, settings: Settings): string[] {
  const candidates = [author, ...(settings.addExternalParticipantsFromCc ? message.cc.map((a) => a.address) : [])];
  const unique = [...new Set(candidates.map((a) => a.toLowerCase()))].filter((a) => !isOwnAddress(a));
  return unique.slice(0, MAX_PARTICIPANTS);
}

async function createIssueFromMail(tx: Tx, inboundEmailId: string, message: InboundMessage, author: string, settings: Settings) {
  const project = settings.project;
  const { markdown } = bodyFromMail({ text: message.text, html: message.html }, { trim: false });
  let description = markdown;
  let missingTemplate: string | undefined;
  if (settings.issueTemplateKey) {
    const template = await tx.issueTemplate.findUnique({
      where: { projectId_name: { projectId: project.id, name: settings.issueTemplateKey } },
      select: { content: true },
    });
    if (template) description = `${description}\n\n${template.content}`.trim();
    else missingTemplate = settings.issueTemplateKey;
  }
  const { kept, skipped } = acceptedAttachments(message.attachments);
  description += skippedNote(skipped);

  const { lastIssueIid: iid } = await tx.project.update({
    where: { id: project.id },
    data: { lastIssueIid: { increment: 1 } },
    select: { lastIssueIid: true },
  });
  const title = (message.subject.trim() || "(no subject)").slice(0, 255);
  const issue = await tx.issue.create({
    data: {
      projectId: project.id,
      iid,
      title,
      description,
      confidential: settings.ticketsConfidentialByDefault,
      authorId: SUPPORT_BOT_ID,
      externalAuthor: author,
      externalMessageId: message.messageId ?? null,
      awaitingReply: true,
    },
    select: { id: true, iid: true, title: true, description: true, externalMessageId: true, threadMessageId: true },
  });
  await tx.issueEmailParticipant.createMany({
    data: participantsFor(message, author, settings).map((email) => ({ issueId: issue.id, email })),
    skipDuplicates: true,
  });
  await storeAttachments(tx, kept, { issueId: issue.id, inboundEmailId });
  if (missingTemplate)
    await tx.note.create({
      data: {
        issueId: issue.id,
        authorId: SUPPORT_BOT_ID,
        system: true,
        body: `could not append the issue template "${missingTemplate}": it no longer exists. Choose another one in the Service Desk settings.`,
      },
    });

  const outboxIds: string[] = [];
  if (settings.sendThankYouEmail) {
    const { outboxId, messageId } = await queueServiceDeskMail(
      tx,
      { project, issue, outgoingName: settings.outgoingName },
      { template: "thank_you", to: author, subject: `Re: ${title} (#${iid})` },
    );
    await tx.issue.update({ where: { id: issue.id }, data: { threadMessageId: messageId } });
    outboxIds.push(outboxId);
  }
  return { issueId: issue.id, iid, outboxIds };
}

async function addReplyFromMail(tx: Tx, inboundEmailId: string, message: InboundMessage, author: string, issueId: number, settings: Settings) {
  const { markdown, quoted } = bodyFromMail({ text: message.text, html: message.html }, { trim: true });
  const { kept, skipped } = acceptedAttachments(message.attachments);
  const note = await tx.note.create({
    data: {
      issueId,
      authorId: SUPPORT_BOT_ID,
      externalAuthor: author,
      body: withCollapsedQuote(markdown, quoted) + skippedNote(skipped),
    },
    select: { id: true },
  });
  await storeAttachments(tx, kept, { issueId, noteId: note.id, inboundEmailId });
  // Whoever replies with the thread's keys joins the conversation (as in GitLab), within the cap.
  if (!isOwnAddress(author) && (await tx.issueEmailParticipant.count({ where: { issueId } })) < MAX_PARTICIPANTS)
    await tx.issueEmailParticipant.createMany({ data: [{ issueId, email: author.toLowerCase() }], skipDuplicates: true });
  const issue = await tx.issue.findUniqueOrThrow({ where: { id: issueId }, select: { iid: true, state: true } });
  if (issue.state === "CLOSED" && settings.reopenIssueOnExternalParticipantNote) {
    await tx.issue.update({ where: { id: issueId }, data: { state: "OPENED", closedAt: null, closedById: null, awaitingReply: true } });
    await tx.note.create({ data: { issueId, authorId: SUPPORT_BOT_ID, system: true, body: `reopened: ${author} replied` } });
  } else {
    await tx.issue.update({ where: { id: issueId }, data: { updatedAt: new Date(), awaitingReply: true } });
  }
  return { noteId: note.id, iid: issue.iid };
}

/**
 * Interprets a stored mail. Never throws for anything the mail contains: such problems end as `failed`.
 * `notSpam`: a person replaying mail marked as spam has judged it; the spam checks do not run again.
 */
export async function processInbound(id: string, options: { notSpam?: boolean } = {}): Promise<IntakeOutcome> {
  const row = await db().inboundEmail.findUniqueOrThrow({ where: { id }, select: { payload: true, payloadContentType: true } });
  try {
    // A mailbox poller stores the message itself (message/rfc822); the webhook stores SendGrid's form post.
    const payload = new Uint8Array(row.payload);
    const message = withoutNul(
      /^\s*message\/rfc822\b/i.test(row.payloadContentType) ? await parseRawMime(payload) : await parseSendGridBody(payload, row.payloadContentType),
    );
    await db().inboundEmail.update({
      where: { id },
      data: {
        attempts: { increment: 1 },
        messageId: message.messageId?.slice(0, 998) ?? null,
        fromAddress: message.from?.address?.slice(0, 320) ?? null,
        subject: message.subject.slice(0, 998),
      },
    });

    const automated = automatedMailReason(message, messageIdHost());
    if (automated) return await finish(id, { status: "ignored", reason: automated });

    const route = await routeMessage(db(), message);
    if (route.kind === "rejected") return await finish(id, { status: "rejected", reason: route.reason, projectId: route.projectId });
    const settings = await loadSettings(route.projectId);
    if (!settings?.enabled)
      return await finish(id, { status: "rejected", reason: "Service Desk is not enabled for this project.", projectId: route.projectId });
    if (!options.notSpam && message.spamScore !== undefined && message.spamScore >= env().SPAM_SCORE_THRESHOLD)
      return await finish(id, { status: "spam", reason: `SendGrid spam score ${message.spamScore} ≥ ${env().SPAM_SCORE_THRESHOLD}.`, projectId: route.projectId });
    const author = externalAuthor(message);
    if (!author) return await finish(id, { status: "rejected", reason: "The mail has no sender address.", projectId: route.projectId });

    if (!options.notSpam && route.kind === "new_issue" && (await akismetVerdict(message, author)) === "spam")
      return await finish(id, { status: "spam", reason: "Akismet classified the mail as spam.", projectId: route.projectId });

    const dedupeKey = `${route.projectId}:${identity(message)}`;
    // A repeated delivery of a mail we already took must not count against its sender.
    if (await db().inboundEmail.findUnique({ where: { dedupeKey }, select: { id: true } }))
      return await finish(id, { status: "duplicate", reason: "This mail was already received.", projectId: route.projectId });
    if (route.kind === "new_issue") {
      const count = await hitRateLimit(db(), `sd-new-issue:${route.projectId}:${author}`, 60 * 60_000);
      if (count > NEW_ISSUES_PER_SENDER_PER_HOUR)
        return await finish(id, {
          status: "rejected",
          reason: `Rate limit: more than ${NEW_ISSUES_PER_SENDER_PER_HOUR} new requests from ${author} this hour.`,
          projectId: route.projectId,
        });
    }

    try {
      const result = await db().$transaction(
        async (tx) => {
          // The unique dedupe key makes a concurrent second delivery wait here, then fail: one issue, not two.
          await tx.inboundEmail.update({ where: { id }, data: { dedupeKey, projectId: route.projectId } });
          if (route.kind === "new_issue") {
            const created = await createIssueFromMail(tx, id, message, author, settings);
            return { status: "created_issue" as const, issueId: created.issueId, iid: created.iid, outboxIds: created.outboxIds };
          }
          const added = await addReplyFromMail(tx, id, message, author, route.issueId, settings);
          return { status: "added_note" as const, issueId: route.issueId, noteId: added.noteId, iid: added.iid, outboxIds: [] as string[] };
        },
        { timeout: 60_000, maxWait: 30_000 },
      );
      return await finish(
        id,
        { status: result.status, reason: route.via, issueId: result.issueId, noteId: "noteId" in result ? result.noteId : undefined, issueIid: result.iid, projectId: route.projectId },
        result.outboxIds,
      );
    } catch (error) {
      if (isUniqueViolation(error, "dedupe_key"))
        return await finish(id, { status: "duplicate", reason: "This mail was already received.", projectId: route.projectId });
      throw error;
    }
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    console.error(`inbound mail ${id} failed:`, error);
    return await finish(id, { status: "failed", reason: "Processing failed; the mail is kept and can be replayed.", error: withoutNul(message).slice(0, 4000) });
  }
}
