// What the configured mailboxes' polls last did, from `mailbox_polls`: for /api/health and the admin mail log.
import { db } from "@/lib/db/client";
import { mailboxConfigs } from "./config";

/** A mailbox counts as stale after this many of its intervals without a successful poll. */
export const STALE_INTERVALS = 3;

export interface MailboxStatus {
  source: string;
  kind: "imap" | "graph";
  intervalSeconds: number;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  consecutiveFailures: number;
  lastMessages: number;
  totalMessages: number;
  totalFailed: number;
  /** Running now (a poller holds the lease). */
  polling: boolean;
  stale: boolean;
}

export async function mailboxStatuses(now = new Date()): Promise<MailboxStatus[]> {
  const configured = mailboxConfigs();
  if (configured.length === 0) return [];
  const rows = await db().mailboxPoll.findMany({ where: { source: { in: configured.map((m) => m.source) } } });
  const bySource = new Map(rows.map((row) => [row.source, row]));
  return configured.map((mailbox) => {
    const row = bySource.get(mailbox.source);
    // Never successful: counted from the first attempt. No row at all: nothing (worker or cron) ever polled it.
    const since = row?.lastSuccessAt ?? row?.createdAt ?? null;
    const stale = !since || now.getTime() - since.getTime() > STALE_INTERVALS * mailbox.intervalSeconds * 1000;
    return {
      source: mailbox.source,
      kind: mailbox.kind,
      intervalSeconds: mailbox.intervalSeconds,
      lastAttemptAt: row?.lastAttemptAt ?? null,
      lastSuccessAt: row?.lastSuccessAt ?? null,
      lastError: row?.lastError ?? null,
      lastErrorAt: row?.lastErrorAt ?? null,
      consecutiveFailures: row?.consecutiveFailures ?? 0,
      lastMessages: row?.lastMessages ?? 0,
      totalMessages: row?.totalMessages ?? 0,
      totalFailed: row?.totalFailed ?? 0,
      polling: !!row?.lockedUntil && row.lockedUntil > now,
      stale,
    };
  });
}

export interface MailboxHealth {
  kind: "imap" | "graph";
  last_success_at: string | null;
  stale: boolean;
}

/**
 * The health report's view. /api/health is public, so no source (it names the login and host) and no error
 * text (server replies, tenant ids): admins read those in the mail log.
 */
export async function mailboxHealth(): Promise<MailboxHealth[]> {
  return (await mailboxStatuses()).map((m) => ({
    kind: m.kind,
    last_success_at: m.lastSuccessAt?.toISOString() ?? null,
    stale: m.stale,
  }));
}
