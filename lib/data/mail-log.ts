// The mail log: every stored inbound mail and every outgoing mail, with replay (inbound) and retry (outbound).
// Instance admins see everything; a project's Maintainers see the mail of their project.
import type { Actor } from "@/lib/auth/actor";
import { can } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import { env } from "@/lib/env";
import { AppError, notFound } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import { decodeUtf8Lenient } from "@/lib/mail/inbound/charset";
import { parseMultipartFormData } from "@/lib/mail/inbound/form-data";
import { mailboxStatuses } from "@/lib/mail/mailbox/status";
import { processInbound } from "@/lib/service-desk/intake";
import { inboundBacklog } from "@/lib/service-desk/intake-queries";
import { requireProject } from "./access";

export const INBOUND_STATUSES = ["received", "created_issue", "added_note", "duplicate", "ignored", "rejected", "spam", "failed"] as const;
export const OUTBOUND_STATUSES = ["pending", "sending", "sent", "delivered", "deferred", "bounced", "held", "failed", "dev"] as const;
// What a person may send through processing again: everything that did not become an issue or a note.
const REPLAYABLE = new Set(["received", "failed", "rejected", "spam"]);
const PAGE_SIZE = 50;
const RAW_PREVIEW_BYTES = 256 * 1024;

/** Whose mail: the whole instance (admins) or one project (its Maintainers). */
export type MailScope = { projectPath?: string };

async function scopeFilter(actor: Actor | null, scope: MailScope): Promise<{ projectId?: number }> {
  if (!actor) throw new AppError("unauthorized", "Sign in to continue.");
  if (scope.projectPath) {
    const { project } = await requireProject(actor, scope.projectPath, "project:settings");
    return { projectId: project.id };
  }
  if (!actor.isAdmin) throw notFound();
  return {};
}

/** Admins, or Maintainers of the mail's project; everyone else gets 404. */
async function requireMailAccess(actor: Actor | null, projectId: number | null | undefined) {
  if (!actor) throw new AppError("unauthorized", "Sign in to continue.");
  if (actor.isAdmin) return;
  const membership = projectId
    ? await db().membership.findUnique({ where: { projectId_userId: { projectId, userId: actor.id } }, select: { role: true } })
    : null;
  if (!membership || !can(membership.role, "project:settings")) throw notFound("Mail");
}

// Keyset cursor over (time, id), newest first: stable while new mail keeps arriving.
function encodeCursor(at: Date, id: string) {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString("base64url");
}
function decodeCursor(cursor: string | undefined): { at: Date; id: string } | undefined {
  if (!cursor) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as [string, string];
    const date = new Date(at);
    if (typeof id === "string" && !Number.isNaN(date.getTime())) return { at: date, id };
  } catch {
    // fall through
  }
  throw new AppError("bad_request", "This page link is invalid; start from the first page.");
}

/** Rows after the cursor in a newest-first listing over (column, id). */
function olderThan<C extends "receivedAt" | "createdAt">(column: C, after: { at: Date; id: string } | undefined) {
  return after ? { OR: [{ [column]: { lt: after.at } }, { [column]: after.at, id: { lt: after.id } }] } : {};
}

/** The page (PAGE_SIZE of the PAGE_SIZE + 1 rows read) and the cursor of the next one, if there is one. */
function pageOf<R extends { id: string }>(rows: R[], at: (row: R) => Date) {
  const page = rows.slice(0, PAGE_SIZE);
  const last = page.at(-1);
  return { page, nextCursor: rows.length > PAGE_SIZE && last ? encodeCursor(at(last), last.id) : undefined };
}

export interface MailLogQuery {
  status?: string;
  cursor?: string;
}

export async function listInboundMail(actor: Actor | null, scope: MailScope, query: MailLogQuery = {}) {
  const { projectId } = await scopeFilter(actor, scope);
  const after = decodeCursor(query.cursor);
  const where: Prisma.InboundEmailWhereInput = {
    ...(projectId ? { projectId } : {}),
    ...(query.status ? { status: query.status } : {}),
    ...olderThan("receivedAt", after),
  };
  const rows = await db().inboundEmail.findMany({
    where,
    orderBy: [{ receivedAt: "desc" }, { id: "desc" }],
    take: PAGE_SIZE + 1,
    select: {
      id: true,
      source: true,
      status: true,
      reason: true,
      error: true,
      fromAddress: true,
      subject: true,
      size: true,
      attempts: true,
      receivedAt: true,
      issue: { select: { iid: true } },
      project: { select: { fullPath: true } },
    },
  });
  const { page, nextCursor } = pageOf(rows, (row) => row.receivedAt);
  return {
    mails: page.map(({ issue, project, ...row }) => ({
      ...row,
      issueIid: issue?.iid ?? null,
      projectPath: project?.fullPath ?? null,
      replayable: REPLAYABLE.has(row.status),
    })),
    nextCursor,
  };
}

export async function listOutboundMail(actor: Actor | null, scope: MailScope, query: MailLogQuery = {}) {
  const { projectId } = await scopeFilter(actor, scope);
  const after = decodeCursor(query.cursor);
  const where: Prisma.OutboundEmailWhereInput = {
    ...(projectId ? { issue: { projectId } } : {}),
    ...(query.status ? { status: query.status } : {}),
    ...olderThan("createdAt", after),
  };
  const rows = await db().outboundEmail.findMany({
    where,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: PAGE_SIZE + 1,
    select: {
      id: true,
      kind: true,
      to: true,
      subject: true,
      status: true,
      attempts: true,
      error: true,
      providerMessageId: true,
      createdAt: true,
      sentAt: true,
      nextAttemptAt: true,
      issue: { select: { iid: true, project: { select: { fullPath: true } } } },
    },
  });
  const { page, nextCursor } = pageOf(rows, (row) => row.createdAt);
  return {
    mails: page.map(({ issue, ...row }) => ({
      ...row,
      issueIid: issue?.iid ?? null,
      projectPath: issue?.project.fullPath ?? null,
      retryable: row.status === "failed",
      releasable: row.status === "held",
    })),
    nextCursor,
  };
}

/** The stored request as readable text: the raw MIME message ("Send Raw") or the parsed form's fields. */
function rawSource(payload: Uint8Array, contentType: string): { text: string; truncated: boolean } {
  let text: string;
  if (/multipart\/form-data/i.test(contentType)) {
    const parts = parseMultipartFormData(payload, contentType, []);
    const raw = parts.find((part) => part.name === "email" && !part.filename);
    text = raw
      ? decodeUtf8Lenient(raw.bytes).text
      : parts
          .map((part) =>
            part.filename
              ? `--- ${part.name}: file ${part.filename} (${part.contentType ?? "unknown type"}, ${part.bytes.byteLength} bytes)`
              : `--- ${part.name}\n${decodeUtf8Lenient(part.bytes).text}`,
          )
          .join("\n");
  } else {
    text = decodeUtf8Lenient(payload).text;
  }
  const truncated = text.length > RAW_PREVIEW_BYTES;
  return { text: truncated ? text.slice(0, RAW_PREVIEW_BYTES) : text, truncated };
}

export async function getInboundMail(actor: Actor | null, id: string) {
  const row = await db().inboundEmail.findUnique({
    where: { id },
    select: {
      id: true,
      source: true,
      status: true,
      reason: true,
      error: true,
      attempts: true,
      messageId: true,
      fromAddress: true,
      subject: true,
      size: true,
      payload: true,
      payloadContentType: true,
      receivedAt: true,
      processedAt: true,
      purgedAt: true,
      headersSummary: true,
      projectId: true,
      project: { select: { fullPath: true } },
      issue: { select: { iid: true } },
    },
  });
  if (!row) throw notFound("Mail");
  await requireMailAccess(actor, row.projectId);
  const { payload, payloadContentType, project, issue, headersSummary, ...rest } = row;
  return {
    ...rest,
    projectPath: project?.fullPath ?? null,
    issueIid: issue?.iid ?? null,
    // A purged mail (retention or erasure) has no payload left to process again.
    replayable: REPLAYABLE.has(row.status) && !row.purgedAt,
    // Once purged, the kept header lines stand in for the raw source.
    headersSummary: (headersSummary ?? []) as { name: string; value: string }[],
    raw: row.purgedAt ? { text: "", truncated: false } : rawSource(new Uint8Array(payload), payloadContentType),
  };
}

/**
 * Runs processing again on the stored mail (failed, rejected, spam, or stuck in received). Idempotent: the
 * dedupe key makes a mail that already became an issue end as `duplicate`, never as a second issue; while
 * another processing holds the mail (its lease), the replay is refused as a conflict.
 */
export async function replayInboundMail(actor: Actor | null, id: string) {
  const row = await db().inboundEmail.findUnique({ where: { id }, select: { status: true, projectId: true, purgedAt: true } });
  if (!row) throw notFound("Mail");
  await requireMailAccess(actor, row.projectId);
  if (row.purgedAt) throw new AppError("conflict", "This mail's raw source was purged (retention or erasure); there is nothing to replay.");
  if (!REPLAYABLE.has(row.status))
    throw new AppError("conflict", `This mail was already processed (${row.status.replace("_", " ")}); there is nothing to replay.`);
  const outcome = await processInbound(id, { notSpam: row.status === "spam" });
  if (outcome.busy) throw new AppError("conflict", "This mail is being processed right now (or was just finished); reload to see its outcome.");
  return outcome;
}

/**
 * Puts an outgoing mail back in the queue as if new (attempts and the retry window start again): a `failed`
 * one (Retry) or one the loop brake `held` (Release).
 */
export async function requeueOutboundMail(actor: Actor | null, id: string, from: "failed" | "held") {
  const row = await db().outboundEmail.findUnique({ where: { id }, select: { status: true, issue: { select: { projectId: true } } } });
  if (!row) throw notFound("Mail");
  await requireMailAccess(actor, row.issue?.projectId);
  const { count } = await db().outboundEmail.updateMany({
    // A purged body (an erased recipient's mail) must not go out empty.
    where: { id, status: from, purgedAt: null },
    // A fresh start: the retry window counts from its next attempt again.
    data: { status: env().SENDGRID_API_KEY ? "pending" : "dev", attempts: 0, firstAttemptAt: null, nextAttemptAt: null, lockedUntil: null },
  });
  if (count === 0) throw new AppError("conflict", from === "failed" ? "Only mail that failed can be retried." : "Only held mail can be released.");
  return { id };
}

/** Stored mail not yet at an outcome and failed mail, in the scope (a project's: the mail routed to it). */
export async function inboundBacklogFor(actor: Actor | null, scope: MailScope) {
  const { projectId } = await scopeFilter(actor, scope);
  return inboundBacklog(projectId);
}

/** Failures nobody has dealt with yet, for the admin's top bar. */
export async function mailFailureCounts(actor: Actor | null) {
  if (!actor?.isAdmin) return null;
  const [inbound, outbound] = await Promise.all([
    db().inboundEmail.count({ where: { status: "failed" } }),
    db().outboundEmail.count({ where: { status: "failed" } }),
  ]);
  return { inbound, outbound };
}

/** The configured mailboxes' poll state (last attempt, last success, last error), for instance admins. */
export async function listMailboxStatus(actor: Actor | null) {
  if (!actor) throw new AppError("unauthorized", "Sign in to continue.");
  if (!actor.isAdmin) throw notFound();
  return mailboxStatuses();
}
