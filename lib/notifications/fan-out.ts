// Fans an issue event out into team mails and To-Dos. The event was recorded with what happened; here its
// recipients are worked out (recipients.ts), the mails rendered, and mails, To-Dos and the event's "done"
// written in one transaction that holds only while this fan-out's claim is the last: a crash or a second
// runner can never send twice or lose it. Runs right after the response (notifySoon) and from the sweepers.
import { after } from "next/server";
import { randomUUID } from "node:crypto";
import { claimIssueEvent, duePendingEvents, loadEventFacts, retryIssueEventLater, type EventFacts } from "@/lib/data/issue-events";
import { db } from "@/lib/db/client";
import { deliverSoon } from "@/lib/mail/deliver-soon";
import { outboxRow } from "@/lib/mail/outbox";
import { addressedUsernames, mentionedUsernames } from "./mentions";
import { notificationRecipients, todosFor, type RecipientFacts } from "./recipients";
import { teamNotificationMail } from "./team-mail";

const LEASE_SECONDS = 60;

class ClaimLost extends Error {}

export function recipientFacts(facts: EventFacts): RecipientFacts {
  const text = facts.note?.body ?? "";
  return {
    kind: facts.event.kind as RecipientFacts["kind"],
    actorId: facts.event.actorId,
    confidential: facts.issue.confidential,
    internal: facts.note?.internal ?? false,
    mentioned: text ? mentionedUsernames(text) : [],
    addressed: text ? addressedUsernames(text) : [],
    newAssignees: facts.event.userIds,
    members: facts.members,
    authorId: facts.members.some((m) => m.userId === facts.issue.authorId) ? facts.issue.authorId : null,
    assignees: facts.assignees,
    commenters: facts.commenters,
    subscriptions: facts.subscriptions,
  };
}

export interface FanOutResult {
  mails: number;
  todos: number;
  outboxIds: string[];
}

/** Fans out one event if it is still pending and free; null when someone else has it (or had it). */
export async function fanOutEvent(id: string, now = new Date()): Promise<FanOutResult | null> {
  const attempts = await claimIssueEvent(id, LEASE_SECONDS, now);
  if (attempts === null) return null;
  try {
    const facts = await loadEventFacts(id);
    if (!facts) return null;
    const decided = recipientFacts(facts);
    const byId = new Map(facts.members.map((m) => [m.userId, m]));
    const recipients = notificationRecipients(decided);
    const mails = await Promise.all(recipients.map(async ({ userId, reason }) => ({ id: randomUUID(), ...outboxRow(await teamNotificationMail(facts, { userId, email: byId.get(userId)!.email }, reason)) })));
    const todos = todosFor(decided).map(({ userId, action }) => ({
      userId,
      action,
      projectId: facts.issue.projectId,
      issueId: facts.issue.id,
      authorId: facts.event.actorId,
      noteId: facts.note?.id ?? null,
      eventId: facts.event.id,
      body: (facts.note?.body ?? facts.issue.title).slice(0, 500),
    }));
    await db().$transaction(async (tx) => {
      const done = await tx.issueEvent.updateMany({
        where: { id, status: "pending", attempts },
        data: { status: "done", processedAt: new Date(), lockedUntil: null, error: null },
      });
      if (done.count !== 1) throw new ClaimLost();
      if (mails.length) await tx.outboundEmail.createMany({ data: mails });
      if (todos.length) await tx.todo.createMany({ data: todos, skipDuplicates: true });
    });
    return { mails: mails.length, todos: todos.length, outboxIds: mails.map((m) => m.id) };
  } catch (error) {
    if (error instanceof ClaimLost) return null;
    const message = error instanceof Error ? error.message : String(error);
    await retryIssueEventLater(id, new Date(now.getTime() + Math.min(30 * 2 ** (attempts - 1), 3600) * 1000), message).catch(() => undefined);
    throw error;
  }
}

/** Fans out `ids`, or the due pending events; bounded. Returns the mails queued. */
export async function fanOutEvents(options: { ids?: readonly string[]; limit?: number; now?: Date } = {}): Promise<FanOutResult & { events: number; more: boolean }> {
  const limit = options.limit ?? 50;
  const now = options.now ?? new Date();
  const ids = options.ids ? [...options.ids] : await duePendingEvents(now, limit + 1);
  const result = { mails: 0, todos: 0, outboxIds: [] as string[], events: 0, more: !options.ids && ids.length > limit };
  for (const id of ids.slice(0, limit)) {
    try {
      const done = await fanOutEvent(id, now);
      if (!done) continue;
      result.events++;
      result.mails += done.mails;
      result.todos += done.todos;
      result.outboxIds.push(...done.outboxIds);
    } catch (error) {
      console.error(`issue event ${id}: fan-out failed (tried again later):`, error);
    }
  }
  return result;
}

function inBackground(work: Promise<unknown>): void {
  try {
    // On serverless hosts the function stays alive until the work is done.
    after(work);
  } catch {
    // after() throws outside a request scope: the promise runs on its own.
  }
}

/** Fans out freshly recorded events right after the response, then sends their mail; never throws. */
export function notifySoon(ids: readonly string[] | undefined): void {
  if (!ids?.length) return;
  inBackground(
    fanOutEvents({ ids })
      .then((result) => deliverSoon(result.outboxIds))
      .catch((error: unknown) => console.error("team notifications after the response failed (the sweeper retries):", error)),
  );
}

const SWEEP_INTERVAL_MS = 10_000;
let lastSweep = 0;
let sweeping: Promise<void> | undefined;

/** Fans out events an earlier request left pending (it died, or fan-out failed), at most every 10 s a process. */
export function sweepEventsSoon(now = Date.now()): void {
  if (sweeping || now - lastSweep < SWEEP_INTERVAL_MS) return;
  lastSweep = now;
  sweeping = fanOutEvents({ limit: 20 })
    .then((result) => deliverSoon(result.outboxIds))
    .catch((error: unknown) => console.error("sweeping team notifications failed:", error))
    .finally(() => {
      sweeping = undefined;
    });
  inBackground(sweeping);
}
