// Fans an issue event out into team mails and To-Dos. The event was recorded with what happened; here its
// recipients are worked out (recipients.ts), the mails rendered, and mails, To-Dos and the event's "done"
// written in one transaction that holds only while this fan-out's claim is the last: a crash or a second
// runner can never send twice or lose it. A customer's reply is also relayed to the issue's other email
// participants, once (relayCustomerReply). Runs right after the response (notifySoon) and from the sweepers.
import { afterAnswers, inBackground, throttledSweep } from "@/lib/background";
import { randomUUID } from "node:crypto";
import { claimIssueEvent, duePendingEvents, loadEventFacts, retryIssueEventLater, type EventFacts } from "@/lib/data/issue-events";
import { db } from "@/lib/db/client";
import { sql } from "@/lib/db/sql";
import { env } from "@/lib/env";
import { crashPoint } from "@/lib/fault-injection";
import { deliverSoon } from "@/lib/mail/deliver-soon";
import { outboxRow } from "@/lib/mail/outbox";
import { newReplyKey, replyAddress } from "@/lib/service-desk/address";
import { prepareParticipantMails, queuePreparedParticipantMails } from "@/lib/service-desk/notifications";
import { addressedUsernames, mentionedUsernames } from "./mentions";
import { notificationRecipients, todosFor, type RecipientFacts } from "./recipients";
import { prepareTeamMail, teamNotificationMail } from "./team-mail";

// How long a fan-out holds its event before it is presumed dead and taken again: a minute, or the shorter lease
// the deployment gives stored mail (INBOUND_LEASE_SECONDS), never under 10 s (a big fan-out must not be taken
// from under itself).
const leaseSeconds = () => Math.max(10, Math.min(60, env().INBOUND_LEASE_SECONDS));

type OutboxRow = ReturnType<typeof outboxRow> & { id: string; replyKey: string; userId: string };

const messageIdOf = (headers: Record<string, string>) => (headers["Message-ID"] ?? "").replace(/^<|>$/g, "");

/**
 * The event's "done", its mails and its To-Dos in one statement (data-modifying CTEs), written only while this
 * fan-out's claim is the last (`attempts`): all of it or none. Plain SQL, not Prisma: 200 watchers are 200 mail
 * rows, and Prisma's client engine would serialise each one's text and HTML on the event loop. False when the
 * claim was lost (someone else fanned it out).
 */
async function writeFanOut(id: string, attempts: number, facts: EventFacts, mails: OutboxRow[], todos: { userId: string; action: string }[]): Promise<boolean> {
  const first = mails[0];
  const rows = await sql<{ id: string }>(
    `WITH done AS (
       UPDATE issue_events SET status = 'done', processed_at = now(), locked_until = NULL, error = NULL
       WHERE id = $1 AND status = 'pending' AND attempts = $2::int
       RETURNING id),
     mails AS (
       INSERT INTO outbound_emails (id, kind, "to", from_email, from_name, reply_to, subject, text, html, headers, status, transport, issue_id, sensitive)
       SELECT m.id, 'team_notification', m.recipient, $3, $4, m.reply_to, m.subject, m.body_text, m.body_html, m.headers::jsonb, $5, $6, $7::int, false
       FROM done, unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $23::text[]) AS m(id, recipient, subject, body_text, body_html, headers, reply_to)),
     keys AS (
       INSERT INTO sent_notifications (reply_key, project_id, issue_id, recipient, message_id, user_id)
       SELECT k.reply_key, $14::int, $7::int, k.recipient, k.message_id, k.user_id
       FROM done, unnest($20::text[], $9::text[], $21::text[], $22::text[]) AS k(reply_key, recipient, message_id, user_id)),
     todos AS (
       INSERT INTO todos (user_id, project_id, issue_id, author_id, action, note_id, event_id, body, state, created_at, updated_at)
       SELECT t.user_id, $14::int, $7::int, $15::text, t.action, $16::int, done.id, $17, 'pending', now(), now()
       FROM done, unnest($18::text[], $19::text[]) AS t(user_id, action)
       ON CONFLICT (event_id, user_id, action) DO NOTHING)
     SELECT id FROM done`,
    [
      id,
      attempts,
      first?.fromEmail ?? "",
      first?.fromName ?? "",
      first?.status ?? "pending",
      first?.transport ?? "dev",
      facts.issue.id,
      mails.map((m) => m.id),
      mails.map((m) => m.to),
      mails.map((m) => m.subject),
      mails.map((m) => m.text),
      mails.map((m) => m.html),
      mails.map((m) => JSON.stringify(m.headers)),
      facts.issue.projectId,
      facts.event.actorId,
      facts.note?.id ?? null,
      (facts.note?.body ?? facts.issue.title).slice(0, 500),
      todos.map((t) => t.userId),
      todos.map((t) => t.action),
      mails.map((m) => m.replyKey),
      mails.map((m) => messageIdOf(m.headers)),
      mails.map((m) => m.userId),
      mails.map((m) => m.replyTo),
    ],
  );
  return rows.length === 1;
}

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

/**
 * customer_reply: the note goes to every other email participant, as GitLab relays an external participant's
 * note (never back to its author, never an internal one; the loop brake holds, so two auto-responders on one
 * issue stop). Rendered before the transaction; written in one with `relayed_at`, which makes it once per event
 * however often the fan-out is tried. Returns the outbox ids.
 */
async function relayCustomerReply(facts: EventFacts): Promise<string[]> {
  const { event, note } = facts;
  if (event.kind !== "customer_reply" || event.relayedAt || !note || note.internal || !note.externalAuthor) return [];
  // Under the desk's name alone (no `author`): the sender's address in a display name would show it to people the
  // team added, and looks like spoofing to mail filters.
  const prepared = await prepareParticipantMails(db(), facts.issue.id, "new_note", { NOTE_TEXT: note.body }, { exclude: note.externalAuthor });
  const ids = await db().$transaction(async (tx) => {
    const claimed = await tx.issueEvent.updateMany({ where: { id: event.id, relayedAt: null }, data: { relayedAt: new Date() } });
    if (claimed.count !== 1 || !prepared.mails.length) return [];
    // Someone may have unsubscribed while the mails were rendered.
    const still = new Set(
      (await tx.issueEmailParticipant.findMany({ where: { issueId: facts.issue.id, status: "subscribed" }, select: { email: true } })).map((p) => p.email),
    );
    return queuePreparedParticipantMails(tx, { ...prepared, mails: prepared.mails.filter((m) => still.has(m.recipient)) });
  });
  if (ids.length) crashPoint("fanout-after-relay");
  return ids;
}

export interface FanOutResult {
  mails: number;
  todos: number;
  outboxIds: string[];
}

/** Fans out one event if it is still pending and free; null when someone else has it (or had it). */
export async function fanOutEvent(id: string, now = new Date()): Promise<FanOutResult | null> {
  const attempts = await claimIssueEvent(id, leaseSeconds(), now);
  if (attempts === null) return null;
  try {
    const facts = await loadEventFacts(id);
    if (!facts) return null;
    const relayed = await relayCustomerReply(facts);
    const decided = recipientFacts(facts);
    const byId = new Map(facts.members.map((m) => [m.userId, m]));
    const recipients = notificationRecipients(decided);
    const prepared = recipients.length ? await prepareTeamMail(facts) : undefined;
    // Each copy has its own reply key (reply by email: the answer becomes that member's comment).
    const mails: OutboxRow[] = [];
    for (const { userId, reason } of recipients) {
      const replyKey = newReplyKey();
      const row = outboxRow(teamNotificationMail(prepared!, { userId, email: byId.get(userId)!.email, replyTo: replyAddress(replyKey) }, reason));
      mails.push({ id: randomUUID(), ...row, replyKey, userId });
      // A turn for the event loop now and then: requests arriving meanwhile are not held up by a big fan-out.
      if (mails.length % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const todos = todosFor(decided);
    if (!(await writeFanOut(id, attempts, facts, mails, todos))) return relayed.length ? { mails: 0, todos: 0, outboxIds: relayed } : null;
    crashPoint("fanout-after-write");
    return { mails: mails.length, todos: todos.length, outboxIds: [...relayed, ...mails.map((m) => m.id)] };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await retryIssueEventLater(id, new Date(now.getTime() + Math.min(30 * 2 ** (attempts - 1), 3600) * 1000), message).catch(() => undefined);
    throw error;
  }
}

/** Fans out `ids`, or the due pending events; bounded. Returns the mails queued. */
export async function fanOutEvents(
  options: { ids?: readonly string[]; limit?: number; now?: Date; minAgeMs?: number } = {},
): Promise<FanOutResult & { events: number; more: boolean }> {
  const limit = options.limit ?? 50;
  const now = options.now ?? new Date();
  const ids = options.ids ? [...options.ids] : await duePendingEvents(now, limit + 1, options.minAgeMs);
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

// Fan-outs waiting in this process, taken one at a time: 200 watchers make a fan-out a few hundred milliseconds of
// work, and forty of them at once would fight the requests for the event loop and the database.
const queued: { id: string; queuedAt: number; done: () => void }[] = [];
let draining = false;
/** How long a fan-out waits for the webhook requests being answered before it runs anyway (from being queued). */
export const FAN_OUT_DEFER_MS = 5_000;
// Past this many waiting, further events are left to the sweepers (they are stored): memory stays bounded.
const MAX_QUEUED = 2_000;

async function drainQueue(): Promise<void> {
  draining = true;
  try {
    while (queued.length) {
      // SendGrid waits for the webhooks' answers; the team's mail can wait a moment: until the answers are out, or
      // FAN_OUT_DEFER_MS after the event was queued — a deadline per event, so constant load delays each by 5 s at most.
      await afterAnswers(Math.max(0, queued[0].queuedAt + FAN_OUT_DEFER_MS - Date.now()));
      const item = queued.shift()!;
      crashPoint("fanout-queued");
      try {
        deliverSoon((await fanOutEvents({ ids: [item.id] })).outboxIds);
      } catch (error) {
        console.error("team notifications after the response failed (the sweeper retries):", error);
      } finally {
        item.done();
      }
    }
  } finally {
    draining = false;
  }
}

/**
 * Fans out freshly recorded events after the response, then sends their mail; never throws. The events are
 * stored already: this queue only makes them quick. A process that dies with events in it leaves them pending
 * for the sweepers, and a sweeper that takes one first makes the queue's attempt a no-op (the claim).
 */
export function notifySoon(ids: readonly string[] | undefined): void {
  if (!ids?.length) return;
  const room = Math.max(0, MAX_QUEUED - queued.length);
  const taken = ids.slice(0, room);
  if (taken.length < ids.length) console.warn(`team notifications: ${ids.length - taken.length} event(s) left to the sweepers (queue full)`);
  if (!taken.length) return;
  let left = taken.length;
  const queuedAt = Date.now();
  // The request's after() holds until its own events are out (a serverless function stays alive for them).
  inBackground(
    new Promise<void>((resolve) => {
      for (const id of taken) queued.push({ id, queuedAt, done: () => --left === 0 && resolve() });
    }),
  );
  if (!draining) void drainQueue();
}

/**
 * Fans out events an earlier request left pending (it died, or fan-out failed), at most every 10 s a process.
 * Events younger than two deferrals are some process's queue's (this one's, or another instance's): not taken here,
 * or the sweep would run them while the webhooks they wait for are still being answered.
 */
export const sweepEventsSoon = throttledSweep(10_000, "sweeping team notifications", async () => {
  deliverSoon((await fanOutEvents({ limit: 20, minAgeMs: 2 * FAN_OUT_DEFER_MS })).outboxIds);
});
