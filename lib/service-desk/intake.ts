// Intake: what happens to one inbound mail. It is stored first (nothing is ever lost), then interpreted in
// one transaction — a new confidential issue or a note on the issue it answers — and the outcome recorded.
// A bug while interpreting leaves the stored mail `failed` with the error, ready to be replayed.
import { createHash } from "node:crypto";
import { db, type Db } from "@/lib/db/client";
import { can } from "@/lib/auth/roles";
import { recordIssueEvent } from "@/lib/data/issue-events";
import { writeTeamNote } from "@/lib/data/notes";
import { isUniqueViolation } from "@/lib/data/users";
import { env } from "@/lib/env";
import { parseSendGridBody } from "@/lib/mail/inbound/parse-sendgrid";
import { parseRawMime } from "@/lib/mail/inbound/parse-mime";
import type { InboundAttachment, InboundMessage } from "@/lib/mail/inbound/types";
import { isOwnAddress, messageIdHost, SUPPORT_BOT_ID } from "./address";
import { bodyFromMail, withCollapsedQuote } from "./body";
import { akismetVerdict } from "./akismet";
import { automatedMailReason, externalAuthor } from "./guards";
import { crashPoint } from "@/lib/fault-injection";
import { isTransientDatabaseError } from "@/lib/db/transient";
import {
  acquireInbound,
  claimMailAndIid,
  claimReply,
  findByDedupeKey,
  loadIntakeSettings,
  recordInboundOutcome,
  recordInboundOutcomeIn,
  releaseIid,
  writeNewIssue,
  type IntakeSettings,
} from "./intake-queries";
import { prepareServiceDeskMail } from "./notifications";
import { hitRateLimit } from "@/lib/rate-limit";
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
  /** Issue events it recorded (team notifications), to fan out once the response is sent (lib/notifications). */
  eventIds?: string[];
  /** Another processing holds the mail (or finished it meanwhile): this one changed nothing. */
  busy?: boolean;
}

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];
type OutcomeFields = Omit<IntakeOutcome, "inboundEmailId" | "outboxIds" | "issueIid" | "busy" | "status"> & { status: IntakeStatus | "received" };

export { storeInbound } from "./intake-queries";

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

/** What the mail log shows of a mail (sender, subject, Message-ID), once it has been parsed. */
interface MailMetadata {
  messageId: string | null;
  fromAddress: string | null;
  subject: string;
}

function metadataOf(message: InboundMessage): MailMetadata {
  return { messageId: message.messageId?.slice(0, 998) ?? null, fromAddress: message.from?.address?.slice(0, 320) ?? null, subject: message.subject.slice(0, 998) };
}

/** Records the outcome with the attempt and what the mail log shows of the mail: one write per processing. */
async function finish(
  id: string,
  metadata: MailMetadata | undefined,
  outcome: OutcomeFields & { issueId?: number; noteId?: number; issueIid?: number; projectId?: number; error?: string; retryInSeconds?: number },
  outboxIds: string[] = [],
  countAttempt = true,
): Promise<IntakeOutcome> {
  await recordInboundOutcome(id, {
    countAttempt,
    status: outcome.status,
    reason: outcome.reason,
    error: outcome.error ?? null,
    metadata,
    issueId: outcome.issueId,
    noteId: outcome.noteId,
    projectId: outcome.projectId,
    retryInSeconds: outcome.retryInSeconds,
  });
  // A mail kept for another try is, for this answer, a processing that failed (its reason says it is retried).
  const status = outcome.status === "received" ? "failed" : outcome.status;
  return { status, inboundEmailId: id, issueIid: outcome.issueIid ?? null, reason: outcome.reason, outboxIds };
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

/** A name from a stranger's mail: no directories, no control characters. */
function safeFilename(name: string): string {
  return (name.split(/[\\/]/).pop() || "attachment").replace(/[\u0000-\u001f\u007f]/g, "_").slice(0, 255);
}

async function storeAttachments(tx: Tx, files: InboundAttachment[], target: { issueId: number; noteId?: number; inboundEmailId: string }) {
  if (!files.length) return;
  // createMany: one statement, and no row (with its bytes) comes back.
  await tx.attachment.createMany({
    data: files.map((file) => ({
      ...target,
      filename: safeFilename(file.filename),
      contentType: file.contentType,
      size: file.size,
      data: new Uint8Array(file.content),
    })),
  });
}

function participantsFor(message: InboundMessage, author: string, settings: IntakeSettings): string[] {
  const candidates = [author, ...(settings.addExternalParticipantsFromCc ? message.cc.map((a) => a.address) : [])];
  const unique = [...new Set(candidates.map((a) => a.toLowerCase()))].filter((a) => !isOwnAddress(a));
  return unique.slice(0, MAX_PARTICIPANTS);
}

/**
 * A new issue from a mail whose identity and iid are claimed (claimMailAndIid): the thank-you is rendered with
 * the iid outside any transaction, then one statement writes the issue with everything that comes with it and
 * records the outcome (intake-queries.ts) — unless a takeover claimed the mail since (then undefined). On
 * failure the iid is given back where it can be.
 */
async function createIssueFromMail(inboundEmailId: string, claimedAttempts: number, iid: number, message: InboundMessage, author: string, settings: IntakeSettings, via: string) {
  const project = settings.project;
  const { markdown } = bodyFromMail({ text: message.text, html: message.html }, { trim: false });
  let description = markdown;
  const template = settings.issueTemplate;
  if (template && "content" in template) description = `${description}\n\n${template.content}`.trim();
  const { kept, skipped } = acceptedAttachments(message.attachments);
  description += skippedNote(skipped);
  const title = (message.subject.trim() || "(no subject)").slice(0, 255);
  const externalMessageId = message.messageId ?? null;

  try {
    const thankYou =
      settings.thankYouTemplate !== undefined
        ? await prepareServiceDeskMail(
            db(),
            { project, issue: { iid, title, description, externalMessageId, threadMessageId: null }, outgoingName: settings.outgoingName },
            { template: "thank_you", to: author, subject: `Re: ${title} (#${iid})`, templateContent: settings.thankYouTemplate },
          )
        : undefined;
    const written = await writeNewIssue({
      inboundEmailId,
      claimedAttempts,
      projectId: project.id,
      iid,
      title,
      description,
      confidential: settings.ticketsConfidentialByDefault,
      author,
      externalMessageId,
      participants: participantsFor(message, author, settings),
      systemNote:
        template && "missing" in template
          ? `could not append the issue template "${template.missing}": it no longer exists. Choose another one in the Service Desk settings.`
          : undefined,
      attachments: kept.map((file) => ({ filename: safeFilename(file.filename), contentType: file.contentType, size: file.size, content: file.content })),
      thankYou,
      outcome: { reason: via, ...metadataOf(message) },
    });
    if (!written) {
      await releaseIid(project.id, iid);
      return undefined;
    }
    return { issueId: written.issueId, iid, outboxIds: written.outboxId ? [written.outboxId] : [], eventIds: [written.eventId] };
  } catch (error) {
    await releaseIid(project.id, iid).catch((releaseError: unknown) => console.error(`could not give back iid ${iid} of project ${project.id}:`, releaseError));
    throw error;
  }
}

async function addReplyFromMail(
  tx: Tx,
  inboundEmailId: string,
  message: InboundMessage,
  { markdown, quoted }: { markdown: string; quoted: string },
  author: string,
  issueId: number,
  settings: IntakeSettings,
) {
  const { kept, skipped } = acceptedAttachments(message.attachments);
  const body = withCollapsedQuote(markdown, quoted) + skippedNote(skipped);
  const note = await tx.note.create({
    data: { issueId, authorId: SUPPORT_BOT_ID, externalAuthor: author, body },
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
  // The team hears of it and the other email participants get the note (both in the fan-out after the response,
  // lib/notifications/fan-out.ts): rendering it for each participant inside this transaction put hostile replies
  // over the event-loop budget (tests/integration/hostile-input.test.ts).
  const eventId = await recordIssueEvent(tx, { issueId, kind: "customer_reply", noteId: note.id });
  return { noteId: note.id, iid: issue.iid, eventId, outboxIds: [] as string[] };
}

type MemberReply =
  | { refused: string }
  | { member: { id: string; email: string; username: string; name: string | null }; iid: number; body: string; internal: boolean };

/**
 * Whether a reply to a team notification may become the member's comment: sent from the member's own (signed-in,
 * so verified) address, by someone who may still comment there (internal notes: Reporter and up, as in the app),
 * with text. `/internal` at the start makes it an internal note. The refusal is what the mail log shows.
 */
async function checkMemberReply(message: InboundMessage, memberId: string, issueId: number): Promise<MemberReply> {
  const [member, issue] = await Promise.all([
    db().user.findUnique({ where: { id: memberId }, select: { id: true, email: true, username: true, name: true, isBot: true, isAdmin: true, emailVerified: true } }),
    db().issue.findUnique({ where: { id: issueId }, select: { iid: true, confidential: true, projectId: true } }),
  ]);
  if (!member || !issue || member.isBot) return { refused: "The notification this mail answers belongs to no member any more." };
  const from = message.from?.address?.toLowerCase();
  if (!from || from !== member.email.toLowerCase() || !member.emailVerified)
    return { refused: `A reply to @${member.username}'s notification came from ${from ?? "no address"}, not from their own verified address: refused, nothing was added.` };
  const membership = await db().membership.findUnique({ where: { projectId_userId: { projectId: issue.projectId, userId: member.id } }, select: { role: true } });
  const role = member.isAdmin ? "OWNER" : membership?.role;
  const { markdown } = bodyFromMail({ text: message.text, html: message.html }, { trim: true });
  const internal = /^\s*\/internal\b/i.test(markdown);
  const body = internal ? markdown.replace(/^\s*\/internal\b[ \t]*\n?/i, "").trim() : markdown.trim();
  if (!can(role, "issue:comment") || (issue.confidential && !can(role, "issue:read_confidential")))
    return { refused: `@${member.username} may no longer comment on this issue: refused, nothing was added.` };
  if (internal && !can(role, "issue:internal_note")) return { refused: `@${member.username} may not add internal notes here: refused.` };
  if (!body) return { refused: `The reply from @${member.username} has no text (after removing the quoted mail): nothing was added.` };
  return { member: { id: member.id, email: member.email, username: member.username, name: member.name }, iid: issue.iid, body, internal };
}

/** A stored mail's request as it arrived, for `processInbound` to read instead of fetching it back. */
export interface StoredPayload {
  payload: Uint8Array;
  contentType: string;
}

/** What a person may replay; the sweeper takes only `received`. */
export const REPLAYABLE_STATUSES = ["received", "failed", "rejected", "spam"] as const;

/** How long intake keeps retrying a mail through transient failures before it is `failed` for a person. */
export const GIVE_UP_AFTER_SECONDS = 24 * 60 * 60;

/**
 * When to try again after a transient failure of a mail that arrived `ageSeconds` ago: half its age (so the
 * pauses grow by about 1.5× per failure), at least 15 s, at most an hour, ±20 % jitter so mails that failed
 * together do not come back together. Undefined once the mail is a day old: then a person is told.
 */
export function retryDelaySeconds(ageSeconds: number, random: () => number = Math.random): number | undefined {
  if (ageSeconds >= GIVE_UP_AFTER_SECONDS) return undefined;
  const base = Math.min(60 * 60, Math.max(15, ageSeconds / 2));
  return Math.round(base * (0.8 + random() * 0.4));
}

export interface ProcessOptions {
  /** A person replaying mail marked as spam has judged it; the spam checks do not run again. */
  notSpam?: boolean;
  /** The payload the caller has just stored (the webhook and the mailbox poller): it owns the fresh row. */
  stored?: StoredPayload;
  /** Statuses another processing may take the mail from (default: every replayable one). */
  from?: readonly string[];
  /** This processing finishes the unfinished original of a redelivery: it does not look for another. */
  finishing?: boolean;
  /** The sweeper: a mail still unfinished a day after it arrived (its processing kept dying) is given up. */
  giveUpWhenOld?: boolean;
}

/**
 * Interprets a stored mail. Never throws for anything the mail contains: such problems end as `failed`; a
 * transient database failure leaves it `received` with a time to try again (lib/service-desk/recovery.ts).
 * Only the caller that stored the mail (`stored`) starts without taking its lease; everyone else (a replay,
 * the sweeper) takes it first and answers `busy` while another processing holds it.
 */
export async function processInbound(id: string, options: ProcessOptions = {}): Promise<IntakeOutcome> {
  let stored: StoredPayload & { attempts: number; ageSeconds: number };
  if (options.stored) stored = { ...options.stored, attempts: 0, ageSeconds: 0 };
  else {
    const acquired = await acquireInbound(id, options.from ?? REPLAYABLE_STATUSES);
    if (!acquired) return busy(id);
    stored = acquired;
    if (options.giveUpWhenOld && acquired.ageSeconds >= GIVE_UP_AFTER_SECONDS)
      return await finish(
        id,
        undefined,
        {
          status: "failed",
          reason: `Processing did not finish within 24 hours (${acquired.attempts} attempts; the process may have died on this mail). The mail is kept and can be replayed.`,
          error: "gave up after 24 hours",
        },
        [],
        false,
      );
  }
  let metadata: MailMetadata | undefined;
  // Set once this processing's claim has counted the attempt (the outcome write must not count it again).
  let claimed = false;
  try {
    // A mailbox poller stores the message itself (message/rfc822); the webhook stores SendGrid's form post.
    const message = withoutNul(
      /^\s*message\/rfc822\b/i.test(stored.contentType) ? await parseRawMime(stored.payload) : await parseSendGridBody(stored.payload, stored.contentType),
    );
    metadata = metadataOf(message);
    const end = (outcome: Parameters<typeof finish>[2], outboxIds?: string[]) => finish(id, metadata, outcome, outboxIds, !claimed);

    const automated = automatedMailReason(message, messageIdHost());
    if (automated) return await end({ status: "ignored", reason: automated });

    const route = await routeMessage(db(), message);
    if (route.kind === "rejected") return await end({ status: "rejected", reason: route.reason, projectId: route.projectId });
    if (route.kind === "reply" && route.member) {
      // A team member answering their notification: their comment, from their own address only.
      const checked = await checkMemberReply(message, route.member, route.issueId);
      if ("refused" in checked) return await end({ status: "rejected", reason: checked.refused, projectId: route.projectId });
      const dedupeKey = `${route.projectId}:${identity(message)}`;
      const holder = await findByDedupeKey(dedupeKey, id);
      if (holder) return await redelivery(id, holder, options, end, route.projectId);
      try {
        const added = await db().$transaction(
          async (tx) => {
            if (!(await claimReply(tx, id, dedupeKey, route.projectId, stored.attempts))) return undefined;
            const note = await writeTeamNote(tx, route.issueId, checked.member, { body: checked.body, internal: checked.internal });
            const { kept } = acceptedAttachments(message.attachments);
            await storeAttachments(tx, kept, { issueId: route.issueId, noteId: note.id, inboundEmailId: id });
            await recordInboundOutcomeIn(tx, id, {
              status: "added_note",
              reason: `${route.via} (reply by email from @${checked.member.username})`,
              error: null,
              metadata,
              issueId: route.issueId,
              noteId: note.id,
              projectId: route.projectId,
              countAttempt: false,
            });
            return note;
          },
          { timeout: 60_000, maxWait: 30_000 },
        );
        if (!added) return busy(id);
        claimed = true;
        return { status: "added_note", inboundEmailId: id, issueIid: checked.iid, reason: route.via, outboxIds: added.outboxIds, eventIds: added.eventIds };
      } catch (error) {
        if (isUniqueViolation(error, "dedupe_key")) return await end({ status: "duplicate", reason: "This mail was already received.", projectId: route.projectId });
        throw error;
      }
    }
    const settings = await loadIntakeSettings(route.projectId);
    if (!settings?.enabled) return await end({ status: "rejected", reason: "Service Desk is not enabled for this project.", projectId: route.projectId });
    if (!options.notSpam && message.spamScore !== undefined && message.spamScore >= env().SPAM_SCORE_THRESHOLD)
      return await end({ status: "spam", reason: `SendGrid spam score ${message.spamScore} ≥ ${env().SPAM_SCORE_THRESHOLD}.`, projectId: route.projectId });
    const author = externalAuthor(message);
    if (!author) return await end({ status: "rejected", reason: "The mail has no sender address.", projectId: route.projectId });

    if (!options.notSpam && route.kind === "new_issue" && (await akismetVerdict(message, author)) === "spam")
      return await end({ status: "spam", reason: "Akismet classified the mail as spam.", projectId: route.projectId });

    const dedupeKey = `${route.projectId}:${identity(message)}`;
    // A repeated delivery of a mail we already took must not count against its sender.
    const holder = await findByDedupeKey(dedupeKey, id);
    if (holder) return await redelivery(id, holder, options, end, route.projectId);
    if (route.kind === "new_issue") {
      const count = await hitRateLimit(`sd-new-issue:${route.projectId}:${author}`, 60 * 60_000);
      if (count > NEW_ISSUES_PER_SENDER_PER_HOUR)
        return await end({
          status: "rejected",
          reason: `Rate limit: more than ${NEW_ISSUES_PER_SENDER_PER_HOUR} new requests from ${author} this hour.`,
          projectId: route.projectId,
        });
    }

    try {
      if (route.kind === "new_issue") {
        const iid = await claimMailAndIid(id, dedupeKey, route.projectId, stored.attempts);
        if (iid === undefined) return busy(id);
        claimed = true;
        const created = await createIssueFromMail(id, stored.attempts + 1, iid, message, author, settings, route.via);
        // A takeover claimed the mail after this processing did: its write, not this one, is the issue.
        if (!created) return busy(id);
        // Written with its outcome in one statement: nothing left to record.
        return { status: "created_issue", inboundEmailId: id, issueIid: created.iid, reason: route.via, outboxIds: created.outboxIds, eventIds: created.eventIds };
      }
      const issueId = route.issueId;
      // Converted before the transaction: its CPU (bounded, up to tens of ms) is not spent holding a connection.
      const body = bodyFromMail({ text: message.text, html: message.html }, { trim: true });
      const added = await db().$transaction(
        async (tx) => {
          // The unique dedupe key makes a concurrent second delivery wait here, then fail: one note, not two; the
          // claim keeps a second processing of this same row (a replay clicked twice) from adding another.
          const mine = await claimReply(tx, id, dedupeKey, route.projectId, stored.attempts);
          if (!mine) return undefined;
          const reply = await addReplyFromMail(tx, id, message, body, author, issueId, settings);
          // The outcome commits with the note: a crash can leave neither or both, never a note whose mail
          // looks unfinished (and would be turned into a second note).
          await recordInboundOutcomeIn(tx, id, {
            status: "added_note",
            reason: route.via,
            error: null,
            metadata,
            issueId,
            noteId: reply.noteId,
            projectId: route.projectId,
            countAttempt: false,
          });
          crashPoint("in-write");
          return reply;
        },
        { timeout: 60_000, maxWait: 30_000 },
      );
      if (!added) return busy(id);
      claimed = true;
      crashPoint("after-write");
      return { status: "added_note", inboundEmailId: id, issueIid: added.iid, reason: route.via, outboxIds: added.outboxIds, eventIds: [added.eventId] };
    } catch (error) {
      if (isUniqueViolation(error, "dedupe_key")) return await end({ status: "duplicate", reason: "This mail was already received.", projectId: route.projectId });
      throw error;
    }
  } catch (error) {
    const text = withoutNul(error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 4000);
    const retryIn = isTransientDatabaseError(error) ? retryDelaySeconds(stored.ageSeconds) : undefined;
    if (retryIn !== undefined) {
      console.error(`inbound mail ${id}: transient failure, trying again in ${retryIn} s:`, text);
      // If the database cannot take even this, the row keeps its lease (or none): the sweeper finds it anyway.
      return await finish(
        id,
        metadata,
        { status: "received", reason: `A transient failure; the mail is kept and tried again automatically in ${retryIn} s.`, error: text, retryInSeconds: retryIn },
        [],
        !claimed,
      );
    }
    console.error(`inbound mail ${id} failed:`, error);
    const reason = isTransientDatabaseError(error)
      ? "Processing kept failing for 24 hours (the database was unavailable); the mail is kept and can be replayed."
      : "Processing failed; the mail is kept and can be replayed.";
    return await finish(id, metadata, { status: "failed", reason, error: text }, [], !claimed);
  }
}

/** The answer of a processing that stands aside: another one holds the mail, or has finished it. */
function busy(id: string): IntakeOutcome {
  return {
    status: "duplicate",
    inboundEmailId: id,
    issueIid: null,
    reason: "This mail is being processed by another request, or was processed meanwhile.",
    outboxIds: [],
    busy: true,
  };
}

/**
 * Mail `id` is another delivery of `holder`'s. When that one never reached an outcome (its process died
 * after claiming the mail's identity), this delivery finishes it rather than answering `duplicate` over a
 * mail that would otherwise wait for the sweeper; either way this row is recorded as the duplicate.
 */
async function redelivery(
  id: string,
  holder: { id: string; status: string },
  options: ProcessOptions,
  end: (outcome: Parameters<typeof finish>[2]) => Promise<IntakeOutcome>,
  projectId: number,
): Promise<IntakeOutcome> {
  if (holder.status !== "received" || options.finishing)
    return end({ status: "duplicate", reason: "This mail was already received.", projectId });
  const original = await processInbound(holder.id, { from: ["received"], finishing: true });
  if (original.busy)
    return end({ status: "duplicate", reason: `The first delivery of this mail (${holder.id}) is still being processed; it finishes on its own.`, projectId });
  await end({ status: "duplicate", reason: `A redelivery: it finished the first delivery (${holder.id}), which had been interrupted.`, projectId });
  return original;
}
