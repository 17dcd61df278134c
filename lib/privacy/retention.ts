// Retention: drops the raw payload of inbound mail (and of code-host deliveries) and the bodies of sent mail once
// they are old and finished (INBOUND_RETENTION_DAYS, OUTBOUND_RETENTION_DAYS). Run by /api/cron/retention and the worker.
import { db } from "@/lib/db/client";
import { sql } from "@/lib/db/sql";
import { purgeStalePresence } from "@/lib/data/presence";
import { env } from "@/lib/env";
import { headersSummary } from "./headers-summary";

/** Outcomes after which nothing reads the payload again. `received` (unfinished) and `failed` are kept for replay. */
export const PURGEABLE_INBOUND = ["created_issue", "added_note", "duplicate", "ignored", "rejected", "spam"];
/**
 * Sent mail (SendGrid has it; the event webhook may still move it between these) and dev-mailbox mail.
 * Never pending/sending/held (still to be sent) and never `failed`: Retry in the mail log sends the stored body.
 */
export const PURGEABLE_OUTBOUND = ["sent", "deferred", "delivered", "bounced", "dev"];

const DAY_MS = 24 * 60 * 60_000;

export interface RetentionOptions {
  now?: Date;
  /** Rows per statement. */
  batchSize?: number;
  /** Batches per table in one call: a cron call stays bounded; the next call carries on. */
  maxBatches?: number;
}

/**
 * Empties one batch of old, finished inbound payloads, keeping a headers summary. Each row is written only if
 * it is still unpurged, finished and unclaimed, so concurrent runs (or a replay starting meanwhile) purge it
 * once or not at all. Returns how many rows this call purged.
 */
async function purgeInboundBatch(now: Date, batchSize: number): Promise<{ purged: number; seen: number }> {
  const cutoff = new Date(now.getTime() - env().INBOUND_RETENTION_DAYS * DAY_MS);
  const rows = await db().inboundEmail.findMany({
    where: { purgedAt: null, status: { in: PURGEABLE_INBOUND }, receivedAt: { lt: cutoff }, OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
    orderBy: [{ receivedAt: "asc" }, { id: "asc" }],
    take: batchSize,
    select: { id: true, payload: true, payloadContentType: true },
  });
  let purged = 0;
  for (const row of rows) {
    const summary = await headersSummary(new Uint8Array(row.payload), row.payloadContentType);
    purged += (await purgeInboundRow(row.id, summary, now, { finishedOnly: true })) ? 1 : 0;
  }
  return { purged, seen: rows.length };
}

/** Empties one inbound payload (keeping `summary`); false when it was purged already (or, with finishedOnly, is not finished or is claimed). */
export async function purgeInboundRow(id: string, summary: unknown, now: Date, options: { finishedOnly: boolean }): Promise<boolean> {
  const guard = options.finishedOnly ? "AND status = ANY($4::text[]) AND (locked_until IS NULL OR locked_until < $2::timestamp)" : "";
  const rows = await sql<{ id: string }>(
    `UPDATE inbound_emails SET payload = ''::bytea, purged_at = $2::timestamp, headers_summary = $3::jsonb
     WHERE id = $1 AND purged_at IS NULL ${guard} RETURNING id`,
    [id, now.toISOString(), JSON.stringify(summary), ...(options.finishedOnly ? [PURGEABLE_INBOUND] : [])],
  );
  return rows.length > 0;
}

/**
 * Empties the text and html of one batch of old sent mail. SKIP LOCKED hands concurrent runs disjoint rows; the
 * outer `purged_at IS NULL` makes a row purged by someone else meanwhile count for nobody twice.
 */
async function purgeOutboundBatch(now: Date, batchSize: number): Promise<number> {
  const cutoff = new Date(now.getTime() - env().OUTBOUND_RETENTION_DAYS * DAY_MS);
  const rows = await sql<{ id: string }>(
    `UPDATE outbound_emails SET text = '', html = '', purged_at = $1::timestamp
     WHERE purged_at IS NULL AND id IN (
       SELECT id FROM outbound_emails
       WHERE purged_at IS NULL AND status = ANY($2::text[]) AND created_at < $3::timestamp
       ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED)
     RETURNING id`,
    [now.toISOString(), PURGEABLE_OUTBOUND, cutoff.toISOString(), batchSize],
  );
  return rows.length;
}

/**
 * Empties one batch of old, finished code-host delivery payloads (they carry commit authors' names and
 * addresses); what the delivery did stays in its summary and outcome. Same retention as inbound mail.
 */
async function purgeDeliveryBatch(now: Date, batchSize: number): Promise<number> {
  const cutoff = new Date(now.getTime() - env().INBOUND_RETENTION_DAYS * DAY_MS);
  const rows = await sql<{ id: string }>(
    `UPDATE code_host_deliveries SET payload = ''::bytea
     WHERE id IN (
       SELECT id FROM code_host_deliveries
       WHERE status <> 'received' AND size > 0 AND octet_length(payload) > 0 AND received_at < $1::timestamp
       ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING id`,
    [cutoff.toISOString(), batchSize],
  );
  return rows.length;
}

/** One bounded retention pass over the tables; `more` says a further call would find more to purge. */
export async function runRetention(options: RetentionOptions = {}) {
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 100;
  const maxBatches = options.maxBatches ?? 10;
  let inbound = 0;
  let outbound = 0;
  let more = false;
  for (let batch = 0; batch < maxBatches; batch++) {
    const { purged, seen } = await purgeInboundBatch(now, batchSize);
    inbound += purged;
    // Rows another run took meanwhile are seen but not purged here: stop rather than spin on them.
    if (seen < batchSize || purged === 0) break;
    if (batch === maxBatches - 1) more = true;
  }
  for (let batch = 0; batch < maxBatches; batch++) {
    const purged = await purgeOutboundBatch(now, batchSize);
    outbound += purged;
    if (purged < batchSize) break;
    if (batch === maxBatches - 1) more = true;
  }
  let deliveries = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const purged = await purgeDeliveryBatch(now, batchSize);
    deliveries += purged;
    if (purged < batchSize) break;
    if (batch === maxBatches - 1) more = true;
  }
  // Presence rows a closed tab never marked "left": they say nothing after their minute, and would pile up.
  const presence = await purgeStalePresence(now);
  return { inbound, outbound, deliveries, presence, more };
}
