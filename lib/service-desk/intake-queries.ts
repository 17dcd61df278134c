// Intake's statements, its hot path during a burst of mail: storing the request, a project's Service Desk
// settings with its templates, the dedupe probe, the mail's identity with its iid, and a new issue with
// everything that comes with it in one statement. Plain SQL (lib/db/sql.ts): through Prisma these were half
// of intake's CPU time (docs/PERFORMANCE.md). Rows written here get random UUIDs where Prisma would make cuids:
// both are opaque text ids.
import { randomUUID } from "node:crypto";
import { sql, type SqlValue } from "@/lib/db/sql";
import { env } from "@/lib/env";
import { crashPoint } from "@/lib/fault-injection";
import { outboxRow, type MailInput } from "@/lib/mail/outbox";
import { SUPPORT_BOT_ID } from "./address";
import { defaultTemplate } from "./templates";

/**
 * Stores a request exactly as it arrived (status `received`); returns its id. The only step of intake whose
 * failure makes the webhook answer 5xx.
 */
export async function storeInbound(payload: Uint8Array, contentType: string, source = "sendgrid"): Promise<string> {
  const id = randomUUID();
  await sql("INSERT INTO inbound_emails (id, payload, payload_content_type, size, source) VALUES ($1, $2, $3, $4, $5)", [
    id,
    payload,
    contentType,
    payload.byteLength,
    source,
  ]);
  return id;
}

/** What intake needs of a project's Service Desk: its settings, and the texts a new issue is made with. */
export interface IntakeSettings {
  enabled: boolean;
  outgoingName: string | null;
  ticketsConfidentialByDefault: boolean;
  reopenIssueOnExternalParticipantNote: boolean;
  addExternalParticipantsFromCc: boolean;
  project: { id: number; fullPath: string };
  /** The issue template's text; `missing` names a chosen template that no longer exists. */
  issueTemplate?: { content: string } | { missing: string };
  /** The thank-you's template text (the project's own, else emails/thank_you.md), when one is sent. */
  thankYouTemplate?: string;
}

/** The project's Service Desk settings and templates in one query; undefined when it never had Service Desk. */
export async function loadIntakeSettings(projectId: number): Promise<IntakeSettings | undefined> {
  const [row] = await sql<{
    enabled: boolean;
    outgoing_name: string | null;
    issue_template_key: string | null;
    tickets_confidential_by_default: boolean;
    reopen_issue_on_external_participant_note: boolean;
    add_external_participants_from_cc: boolean;
    send_thank_you_email: boolean;
    full_path: string;
    thank_you: string | null;
    issue_template: string | null;
  }>(
    `SELECT s.enabled, s.outgoing_name, s.issue_template_key, s.tickets_confidential_by_default, s.reopen_issue_on_external_participant_note,
            s.add_external_participants_from_cc, s.send_thank_you_email, p.full_path, t.content AS thank_you, it.content AS issue_template
     FROM service_desk_settings s
     JOIN projects p ON p.id = s.project_id
     LEFT JOIN service_desk_email_templates t ON t.project_id = s.project_id AND t.name = 'thank_you'
     LEFT JOIN issue_templates it ON it.project_id = s.project_id AND it.name = s.issue_template_key
     WHERE s.project_id = $1`,
    [projectId],
  );
  if (!row) return undefined;
  return {
    enabled: row.enabled,
    outgoingName: row.outgoing_name,
    ticketsConfidentialByDefault: row.tickets_confidential_by_default,
    reopenIssueOnExternalParticipantNote: row.reopen_issue_on_external_participant_note,
    addExternalParticipantsFromCc: row.add_external_participants_from_cc,
    project: { id: projectId, fullPath: row.full_path },
    issueTemplate: row.issue_template_key
      ? row.issue_template !== null
        ? { content: row.issue_template }
        : { missing: row.issue_template_key }
      : undefined,
    thankYouTemplate: row.send_thank_you_email ? (row.thank_you ?? defaultTemplate("thank_you")) : undefined,
  };
}

/** Another stored mail that already holds `dedupeKey` (a failed mail's replay holds its own), if any, with its status. */
export async function findByDedupeKey(dedupeKey: string, inboundEmailId: string): Promise<{ id: string; status: string } | undefined> {
  const rows = await sql<{ id: string; status: string }>("SELECT id, status FROM inbound_emails WHERE dedupe_key = $1 AND id <> $2", [dedupeKey, inboundEmailId]);
  return rows[0];
}

/** Seconds a processing holds a stored mail before it counts as dead (INBOUND_LEASE_SECONDS). */
export const leaseSeconds = () => env().INBOUND_LEASE_SECONDS;

/** Outcomes that are final successes: nothing may overwrite them, no processing may claim their mail again. */
const DONE = "('created_issue', 'added_note')";

/**
 * Takes the lease of stored mail $1 for a processing that did not store it (a replay, the sweeper, a
 * redelivery finishing its original): only while no other processing holds it. The lease grows with the
 * attempts already made, so a mail that kills its process every time is tried less and less often.
 * Returns the attempts counted so far (the claim's check) and the stored request; undefined when held.
 */
export async function acquireInbound(
  id: string,
  statuses: readonly string[],
): Promise<{ attempts: number; ageSeconds: number; payload: Uint8Array; contentType: string } | undefined> {
  const rows = await sql<{ attempts: number; age: number; payload: Uint8Array; payload_content_type: string }>(
    `UPDATE inbound_emails SET locked_until = now() + make_interval(secs => $2::float8 * LEAST(power(2, attempts), 32))
     WHERE id = $1 AND status = ANY($3::text[]) AND (locked_until IS NULL OR locked_until < now())
     RETURNING attempts, EXTRACT(EPOCH FROM now() - received_at)::float8 AS age, payload, payload_content_type`,
    [id, leaseSeconds(), [...statuses]],
  );
  const row = rows[0];
  return row
    ? { attempts: Number(row.attempts), ageSeconds: Number(row.age), payload: new Uint8Array(row.payload), contentType: row.payload_content_type }
    : undefined;
}

/** The condition of a stored mail that should have reached an outcome by now ($1 = the lease in seconds). */
const DUE = "status = 'received' AND COALESCE(locked_until, received_at + make_interval(secs => $1::float8)) < now()";

export interface InboundBacklog {
  /** Not yet at an outcome: in flight, or waiting to be tried again. */
  received: number;
  /** Of those, past their lease: waiting for the sweeper. */
  stuck: number;
  oldest_stuck_seconds: number | null;
  /** Given up (a bug, bad data, or 24 hours of failures): for a person to replay. */
  failed: number;
  oldest_failed_at: string | null;
}

/** What of the stored mail has not ended well, all of it or one project's, for health and the mail log. */
export async function inboundBacklog(projectId?: number): Promise<InboundBacklog> {
  const [row] = await sql<{ received: number; stuck: number; oldest_stuck: number | null; failed: number; oldest_failed: string | null }>(
    `SELECT (count(*) FILTER (WHERE status = 'received'))::int AS received, (count(*) FILTER (WHERE ${DUE}))::int AS stuck,
            EXTRACT(EPOCH FROM now() - min(received_at) FILTER (WHERE ${DUE}))::float8 AS oldest_stuck,
            (count(*) FILTER (WHERE status = 'failed'))::int AS failed,
            to_char(min(received_at) FILTER (WHERE status = 'failed'), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS oldest_failed
     FROM inbound_emails WHERE status IN ('received', 'failed') AND ($2::int IS NULL OR project_id = $2::int)`,
    [leaseSeconds(), projectId ?? null],
  );
  return {
    received: Number(row.received),
    stuck: Number(row.stuck),
    oldest_stuck_seconds: row.oldest_stuck === null ? null : Math.round(Number(row.oldest_stuck)),
    failed: Number(row.failed),
    oldest_failed_at: row.oldest_failed,
  };
}

/**
 * Stored mail that should have reached an outcome by now and has not: `received`, and either never leased
 * and older than a lease (its process died before its claim), or past its lease (died after it, or a
 * transient failure asked to be tried again then). Oldest first.
 */
export async function dueInbound(limit: number): Promise<string[]> {
  const rows = await sql<{ id: string }>(
    `SELECT id FROM inbound_emails WHERE ${DUE} ORDER BY received_at LIMIT $2`,
    [leaseSeconds(), limit],
  );
  return rows.map((row) => row.id);
}

export interface InboundOutcomeWrite {
  status: string;
  reason: string | null;
  error: string | null;
  /** What the mail log shows of the mail, once it could be parsed. */
  metadata?: { messageId: string | null; fromAddress: string | null; subject: string };
  issueId?: number;
  noteId?: number;
  projectId?: number;
  /** False when the processing's claim already counted it. */
  countAttempt?: boolean;
  /** A transient failure: the mail stays `received` and is due again after this many seconds. */
  retryInSeconds?: number;
}

/** The UPDATE that records an outcome ($1 = the mail's id), for `sql` or a transaction's executor. */
function outcomeStatement(id: string, outcome: InboundOutcomeWrite): { text: string; values: SqlValue[] } {
  const values: SqlValue[] = [id, outcome.status, outcome.reason, outcome.error];
  const set = ["status = $2", "reason = $3", "error = $4", "processed_at = now()"];
  if (outcome.countAttempt !== false) set.push("attempts = attempts + 1");
  const column = (name: string, value: SqlValue) => set.push(`${name} = $${values.push(value)}`);
  // A final outcome lets go of the lease; a transient failure sets when the sweeper tries again.
  if (outcome.retryInSeconds !== undefined) set.push(`locked_until = now() + make_interval(secs => $${values.push(outcome.retryInSeconds)}::float8)`);
  else set.push("locked_until = NULL");
  if (outcome.metadata) {
    column("message_id", outcome.metadata.messageId);
    column("from_address", outcome.metadata.fromAddress);
    column("subject", outcome.metadata.subject);
  }
  if (outcome.issueId) column("issue_id", outcome.issueId);
  if (outcome.noteId) column("note_id", outcome.noteId);
  if (outcome.projectId) column("project_id", outcome.projectId);
  // A success another processing recorded meanwhile is never overwritten.
  return { text: `UPDATE inbound_emails SET ${set.join(", ")} WHERE id = $1 AND status NOT IN ${DONE}`, values };
}

/** Records a processing's outcome and counts the attempt; links the issue, note and project when known. */
export async function recordInboundOutcome(id: string, outcome: InboundOutcomeWrite): Promise<void> {
  const { text, values } = outcomeStatement(id, outcome);
  await sql(text, values);
}

type Executor = { $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number> };

/** `recordInboundOutcome` inside a transaction (a reply's note and its mail's outcome commit together). */
export async function recordInboundOutcomeIn(tx: Executor, id: string, outcome: InboundOutcomeWrite): Promise<void> {
  const { text, values } = outcomeStatement(id, outcome);
  await tx.$executeRawUnsafe(text, ...values);
}

/**
 * A processing's claim of stored mail $1: its identity ($2, project $3), the attempt, and a fresh lease. It
 * holds only when no other processing has claimed since this one read the row ($4 = the attempts it saw) and
 * the mail has no success recorded. Who may start processing at all is settled before (the storer, or
 * `acquireInbound`'s lease); this check makes two processings that got that far anyway (a lease that ran
 * out under a slow one) claim one after the other, never both — and only the last claim's write lands.
 */
const CLAIM = `UPDATE inbound_emails SET dedupe_key = $2, project_id = $3, attempts = attempts + 1, claimed_at = now(),
    locked_until = now() + make_interval(secs => $5::float8)
  WHERE id = $1 AND attempts = $4 AND status NOT IN ${DONE}`;

/** Claims a stored mail that answers an issue (`CLAIM`, inside the reply's transaction); false when another processing holds it. */
export async function claimReply(tx: Executor, inboundEmailId: string, dedupeKey: string, projectId: number, seenAttempts: number): Promise<boolean> {
  return (await tx.$executeRawUnsafe(CLAIM, inboundEmailId, dedupeKey, projectId, seenAttempts, leaseSeconds())) > 0;
}

/**
 * Gives the stored mail its identity (`project:Message-ID`), counts the attempt and takes the project's next
 * iid, in one statement committed at once. A second delivery of the same mail, even one arriving while this one
 * is still being worked on, fails on the identity's unique index before it takes an iid (a duplicate);
 * concurrent mails to one project wait for each other only for this statement, not for a transaction. A
 * mail whose processing fails keeps its identity: its replay claims it again, a later copy is a duplicate of
 * it. `releaseIid` gives the iid back. Undefined when another processing of the same row holds it (`CLAIM`):
 * the row is left alone.
 */
export async function claimMailAndIid(inboundEmailId: string, dedupeKey: string, projectId: number, seenAttempts: number): Promise<number | undefined> {
  const rows = await sql<{ iid: number }>(
    `WITH claim AS (${CLAIM} RETURNING id)
     UPDATE projects SET last_issue_iid = last_issue_iid + 1, updated_at = now()
     WHERE id = $3 AND EXISTS (SELECT 1 FROM claim) RETURNING last_issue_iid AS iid`,
    [inboundEmailId, dedupeKey, projectId, seenAttempts, leaseSeconds()],
  );
  if (rows[0]) crashPoint("after-claim");
  return rows[0] ? Number(rows[0].iid) : undefined;
}

/**
 * Gives back an iid whose issue was never written, unless a later one was taken meanwhile (then it stays a gap,
 * as a deleted issue's number does). GitLab resets its internal ids the same way. The issue's absence is
 * checked too: a write that committed but whose answer was lost must not hand its number out again.
 */
export async function releaseIid(projectId: number, iid: number): Promise<void> {
  await sql(
    `UPDATE projects SET last_issue_iid = $2 - 1
     WHERE id = $1 AND last_issue_iid = $2 AND NOT EXISTS (SELECT 1 FROM issues WHERE project_id = $1 AND iid = $2)`,
    [projectId, iid],
  );
}

export interface NewIssueFromMail {
  inboundEmailId: string;
  /** The mail's attempts once this processing claimed it: the write lands only while that claim is the last. */
  claimedAttempts: number;
  projectId: number;
  iid: number;
  title: string;
  description: string;
  confidential: boolean;
  author: string;
  externalMessageId: string | null;
  /** Lower-cased addresses that get the issue's public comments by email. */
  participants: string[];
  /** A system note to add (e.g. the issue template is gone). */
  systemNote?: string;
  attachments: { filename: string; contentType: string; size: number; content: Uint8Array }[];
  /** The thank-you (prepareServiceDeskMail): its Message-ID becomes the issue's thread root. */
  thankYou?: { replyKey: string; messageId: string; recipient: string; mail: MailInput };
  /** The stored mail's outcome, recorded with the issue. */
  outcome: { reason: string; messageId: string | null; fromAddress: string | null; subject: string };
}

/**
 * Writes the issue, its participants, system note, reply key, thank-you and attachments, and records the stored
 * mail as `created_issue`: one statement, so all of it happens or none of it. Returns the issue id and the
 * thank-you's outbox id; undefined when the claim is no longer this processing's (nothing was written).
 */
export async function writeNewIssue(input: NewIssueFromMail): Promise<{ issueId: number; outboxId: string | null; eventId: string } | undefined> {
  const { projectId, iid, thankYou, outcome } = input;
  const eventId = randomUUID();
  const outbox = thankYou ? outboxRow(thankYou.mail) : null;
  const outboxId = outbox ? randomUUID() : null;
  const values: SqlValue[] = [];
  const $ = (value: SqlValue) => `$${values.push(value)}`;
  // Each part is a data-modifying CTE, included only when it applies; every part finds the issue through the
  // first. One part per attachment, so each file's bytes travel as one binary parameter.
  const parts = [
    // The claim is still this processing's (no takeover claimed after it) and nothing succeeded meanwhile; the
    // row lock makes a concurrent claim wait for this statement, then see the success and fail.
    `mine AS (
      SELECT id FROM inbound_emails
      WHERE id = ${$(input.inboundEmailId)} AND attempts = ${$(input.claimedAttempts)}::int AND status NOT IN ('created_issue', 'added_note')
      FOR UPDATE)`,
    `issue AS (
      INSERT INTO issues (project_id, iid, title, description, confidential, author_id, external_author, external_message_id, thread_message_id, awaiting_reply, created_at, updated_at)
      SELECT ${$(projectId)}::int, ${$(iid)}::int, ${$(input.title)}::text, ${$(input.description)}::text, ${$(input.confidential)}::boolean, ${$(SUPPORT_BOT_ID)}::text,
             ${$(input.author)}::text, ${$(input.externalMessageId)}::text, ${$(thankYou?.messageId ?? null)}::text, true, now(), now()
      FROM mine
      RETURNING id)`,
    `participants AS (
      INSERT INTO issue_email_participants (issue_id, email)
      SELECT issue.id, email FROM issue, unnest(${$(input.participants)}::text[]) AS email
      ON CONFLICT (issue_id, email) DO NOTHING)`,
    `inbound AS (
      UPDATE inbound_emails SET status = 'created_issue', reason = ${$(outcome.reason)}, error = NULL, processed_at = now(), locked_until = NULL,
             message_id = ${$(outcome.messageId)}::text, from_address = ${$(outcome.fromAddress)}::text, subject = ${$(outcome.subject)}, issue_id = issue.id
      FROM issue WHERE inbound_emails.id = ${$(input.inboundEmailId)})`,
    // The team's notification of the new request: one row, fanned out after the response (lib/notifications).
    `event AS (
      INSERT INTO issue_events (id, issue_id, kind, user_ids, status, attempts, created_at)
      SELECT ${$(eventId)}, issue.id, 'new_request', '{}'::text[], 'pending', 0, now() FROM issue)`,
  ];
  if (input.systemNote)
    parts.push(`note AS (
      INSERT INTO notes (issue_id, author_id, system, body, created_at, updated_at)
      SELECT issue.id, ${$(SUPPORT_BOT_ID)}, true, ${$(input.systemNote)}, now(), now() FROM issue)`);
  if (thankYou && outbox && outboxId)
    parts.push(
      `sent AS (
      INSERT INTO sent_notifications (reply_key, project_id, issue_id, recipient, message_id)
      SELECT ${$(thankYou.replyKey)}, ${$(projectId)}, issue.id, ${$(thankYou.recipient)}, ${$(thankYou.messageId)} FROM issue)`,
      `outbox AS (
      INSERT INTO outbound_emails (id, kind, "to", from_email, from_name, reply_to, subject, text, html, headers, status, transport, issue_id, sensitive)
      SELECT ${$(outboxId)}, ${$(outbox.kind)}, ${$(outbox.to)}, ${$(outbox.fromEmail)}, ${$(outbox.fromName)}, ${$(outbox.replyTo)}::text, ${$(outbox.subject)},
             ${$(outbox.text)}, ${$(outbox.html)}, ${$(JSON.stringify(outbox.headers))}::jsonb, ${$(outbox.status)}, ${$(outbox.transport)}, issue.id, false
      FROM issue)`,
    );
  input.attachments.forEach((file, i) =>
    parts.push(`attachment_${i} AS (
      INSERT INTO attachments (id, issue_id, inbound_email_id, filename, content_type, size, data)
      SELECT ${$(randomUUID())}, issue.id, ${$(input.inboundEmailId)}, ${$(file.filename)}, ${$(file.contentType)}, ${$(file.size)}, ${$(file.content)}::bytea FROM issue)`),
  );
  const pending = sql<{ id: number }>(`WITH ${parts.join(",\n")}\nSELECT id FROM issue`, values);
  // A kill while the statement is on its way or being executed: it commits whole or not at all.
  setImmediate(() => crashPoint("in-write"));
  const rows = await pending;
  if (!rows[0]) return undefined;
  crashPoint("after-write");
  return { issueId: Number(rows[0].id), outboxId, eventId };
}
