// Data access for one external customer address across every table that holds it: what an export reads and
// the writes an erasure makes (lib/privacy/). Instance admins only; the checks are in lib/privacy.
import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";

type Tx = Prisma.TransactionClient;

const insensitive = (address: string) => ({ equals: address, mode: "insensitive" as const });

/** Everything held about `address` (lower-case), for the export document. */
export async function loadCustomerRecords(address: string) {
  const client = db();
  const [issues, participations, authoredNotes, outbound, inbound, notifications, events, user] = await Promise.all([
    client.issue.findMany({
      where: { OR: [{ externalAuthor: insensitive(address) }, { participants: { some: { email: address } } }] },
      orderBy: { id: "asc" },
      select: {
        id: true,
        iid: true,
        title: true,
        description: true,
        state: true,
        confidential: true,
        externalAuthor: true,
        createdAt: true,
        closedAt: true,
        project: { select: { fullPath: true } },
        // What the customer wrote or was mailed: public comments (internal notes are never mailed).
        notes: {
          where: { internal: false, system: false },
          orderBy: { id: "asc" },
          select: { id: true, body: true, externalAuthor: true, createdAt: true, author: { select: { name: true, username: true, isBot: true } } },
        },
      },
    }),
    client.issueEmailParticipant.findMany({
      where: { email: address },
      orderBy: { id: "asc" },
      select: { status: true, createdAt: true, issue: { select: { iid: true, project: { select: { fullPath: true } } } } },
    }),
    client.note.findMany({
      where: { externalAuthor: insensitive(address) },
      orderBy: { id: "asc" },
      select: { id: true, body: true, internal: true, createdAt: true, issue: { select: { iid: true, project: { select: { fullPath: true } } } } },
    }),
    client.outboundEmail.findMany({
      where: { to: insensitive(address) },
      orderBy: { createdAt: "asc" },
      select: { id: true, kind: true, subject: true, text: true, html: true, status: true, error: true, createdAt: true, sentAt: true, purgedAt: true, issueId: true },
    }),
    client.inboundEmail.findMany({
      where: { fromAddress: insensitive(address) },
      orderBy: { receivedAt: "asc" },
      select: {
        id: true,
        status: true,
        subject: true,
        messageId: true,
        payload: true,
        payloadContentType: true,
        headersSummary: true,
        receivedAt: true,
        purgedAt: true,
        issue: { select: { iid: true, project: { select: { fullPath: true } } } },
        attachments: { select: { id: true, filename: true, contentType: true, size: true, data: true } },
      },
    }),
    client.sentNotification.findMany({
      where: { recipient: insensitive(address) },
      orderBy: { id: "asc" },
      select: { createdAt: true, messageId: true, issue: { select: { iid: true, project: { select: { fullPath: true } } } } },
    }),
    client.sendGridEvent.findMany({ where: { email: insensitive(address) }, orderBy: { receivedAt: "asc" }, select: { event: true, receivedAt: true, outboundEmailId: true } }),
    client.user.findFirst({ where: { email: insensitive(address) }, select: { id: true } }),
  ]);
  return { issues, participations, authoredNotes, outbound, inbound, notifications, events, hasUserAccount: !!user };
}

export async function userWithEmailExists(address: string): Promise<boolean> {
  return !!(await db().user.findFirst({ where: { email: insensitive(address) }, select: { id: true } }));
}

/** Serialises erasures of one address (two at once would otherwise both count the same rows). */
export async function lockAddress(tx: Tx, pseudonym: string) {
  await tx.$queryRawUnsafe(`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtext($1))) AS l`, pseudonym);
}

/**
 * The customer's stored inbound mail whose payload is still held: sent by them, or naming them anywhere in
 * the raw bytes (a Cc) once processed — someone else's unfinished mail is left to be processed.
 */
export async function heldInboundMentioning(tx: Tx, address: string) {
  return tx.$queryRawUnsafe<{ id: string; payload: Uint8Array; payload_content_type: string; status: string }[]>(
    `SELECT id, payload, payload_content_type, status FROM inbound_emails
     WHERE purged_at IS NULL AND (lower(from_address) = $1
       OR (status NOT IN ('received', 'failed') AND position(convert_to($1, 'UTF8') in payload) > 0))`,
    address,
  );
}

/** Header summaries of the customer's already purged mail: the display names they wrote under (`From: Jake Customer <jake@…>`). */
export async function storedHeaderSummaries(tx: Tx, address: string) {
  const rows = await tx.inboundEmail.findMany({ where: { fromAddress: insensitive(address), purgedAt: { not: null } }, select: { headersSummary: true } });
  return rows.map((row) => row.headersSummary);
}

/** Empties the payloads of `ids`, keeping `summaries`; unfinished mail is closed so no sweeper retries it empty. */
export async function purgeInboundPayloads(tx: Tx, rows: { id: string; summary: unknown }[], now: Date): Promise<number> {
  let count = 0;
  for (const row of rows)
    count += await tx.$executeRawUnsafe(
      `UPDATE inbound_emails SET payload = ''::bytea, purged_at = $2::timestamp, headers_summary = $3::jsonb,
         status = CASE WHEN status IN ('received', 'failed') THEN 'ignored' ELSE status END,
         reason = CASE WHEN status IN ('received', 'failed') THEN 'customer data erased' ELSE reason END,
         locked_until = NULL
       WHERE id = $1 AND purged_at IS NULL`,
      row.id,
      now.toISOString(),
      JSON.stringify(row.summary),
    );
  return count;
}

/** Files that came with the customer's mail: on their mails, their notes, or the issues they opened. */
export async function deleteCustomerAttachments(tx: Tx, address: string, inboundIds: string[]): Promise<number> {
  return tx.$executeRawUnsafe(
    `DELETE FROM attachments WHERE inbound_email_id = ANY($2::text[])
       OR inbound_email_id IN (SELECT id FROM inbound_emails WHERE lower(from_address) = $1)
       OR note_id IN (SELECT id FROM notes WHERE lower(external_author) = $1)
       OR (note_id IS NULL AND issue_id IN (SELECT id FROM issues WHERE lower(external_author) = $1))`,
    address,
    inboundIds,
  );
}

/** Mail to the customer: bodies emptied; what was still to be sent is not sent. */
export async function purgeOutboundToCustomer(tx: Tx, address: string, now: Date): Promise<number> {
  return tx.$executeRawUnsafe(
    `UPDATE outbound_emails SET text = '', html = '', purged_at = COALESCE(purged_at, $2::timestamp),
       status = CASE WHEN status IN ('pending', 'sending', 'held') THEN 'failed' ELSE status END,
       error = CASE WHEN status IN ('pending', 'sending', 'held') THEN 'Not sent: the recipient''s data was erased.' ELSE error END,
       next_attempt_at = NULL, locked_until = NULL
     WHERE lower("to") = $1 AND (text <> '' OR html <> '' OR purged_at IS NULL)`,
    address,
    now.toISOString(),
  );
}

/** Rate-limit counters (new issues per sender, sign-in links per address) whose key matches one of `patterns`. */
export async function deleteCounters(tx: Tx, patterns: string[]): Promise<number> {
  return tx.$executeRawUnsafe(`DELETE FROM rate_limit_counters WHERE key ~* ANY($1::text[])`, patterns);
}

export async function deleteVerificationTokens(tx: Tx, address: string): Promise<number> {
  return tx.$executeRawUnsafe(`DELETE FROM verification_tokens WHERE lower(identifier) = $1`, address);
}

// Written by the erasure itself, or bookkeeping no customer text reaches.
const NOT_SWEPT = new Set(["_prisma_migrations", "customer_erasures"]);

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Replaces `pattern` (the address and the display name forms, lib/privacy/customer-address.ts) in every text and JSON column of every table,
 * found through information_schema so a column added later is covered too. Returns rows changed per table.
 */
export async function replaceEverywhere(tx: Tx, pattern: string, pseudonym: string): Promise<Record<string, number>> {
  const columns = await tx.$queryRawUnsafe<{ table_name: string; column_name: string; data_type: string }[]>(
    `SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type FROM information_schema.columns
     WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'json', 'jsonb')
     ORDER BY table_name, ordinal_position`,
  );
  const byTable = new Map<string, { name: string; type: string }[]>();
  for (const column of columns) {
    if (NOT_SWEPT.has(column.table_name)) continue;
    byTable.set(column.table_name, [...(byTable.get(column.table_name) ?? []), { name: column.column_name, type: column.data_type }]);
  }
  const counts: Record<string, number> = {};
  for (const [table, cols] of byTable) {
    const asText = (c: { name: string; type: string }) => (c.type.startsWith("json") ? `${quoteIdent(c.name)}::text` : quoteIdent(c.name));
    const sets = cols.map((c) => {
      const replaced = `regexp_replace(${asText(c)}, $1, $2, 'gi')`;
      return `${quoteIdent(c.name)} = CASE WHEN ${asText(c)} ~* $1 THEN ${c.type.startsWith("json") ? `(${replaced})::${c.type}` : replaced} ELSE ${quoteIdent(c.name)} END`;
    });
    // The pattern, not a substring test, decides: jake@x.com is not in ajake@x.com, and a name may stand alone.
    const where = cols.map((c) => `${asText(c)} ~* $1`).join(" OR ");
    const changed = await tx.$executeRawUnsafe(`UPDATE ${quoteIdent(table)} SET ${sets.join(", ")} WHERE ${where}`, pattern, pseudonym);
    if (changed > 0) counts[table] = changed;
  }
  return counts;
}

export async function recordErasure(tx: Tx, entry: { pseudonym: string; actorId: string; actorName: string; counts: Record<string, number> }) {
  return tx.customerErasure.create({ data: entry, select: { id: true, createdAt: true } });
}

export async function lastErasure(pseudonym: string) {
  return db().customerErasure.findFirst({ where: { pseudonym }, orderBy: { id: "desc" }, select: { createdAt: true, counts: true } });
}
