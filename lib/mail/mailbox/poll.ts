// One poll of one mailbox: under a lease in the database (so two pollers never work one mailbox at once), each
// message is stored first, then cleared from the mailbox, then processed by the same intake as the webhook;
// the outcome of the poll (or its error) is recorded for the mail log and /api/health.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { db } from "@/lib/db/client";
import { processAlive } from "@/lib/db/embedded-lock";
import { MAX_INBOUND_BYTES, processInbound, storeInbound, storeOversized, type IntakeOutcome } from "@/lib/service-desk/intake";
import { describeImapError } from "./imap";
import type { MailboxConnector, QuarantinedMessage } from "./types";

export interface PollOptions {
  /** At most this many messages in this poll (the cron route's bound). */
  limit?: number;
  /** How often this mailbox is meant to be polled; /api/health reports it after 3 of these without success. */
  intervalSeconds?: number;
  /** How long the lease lasts without renewal; renewed every third of it while the poll runs. */
  leaseMs?: number;
}

export interface PollResult {
  source: string;
  /** `busy`: another poller holds this mailbox's lease; nothing was done. */
  status: "ok" | "busy" | "error";
  /** What each message taken became, in order. */
  outcomes: IntakeOutcome[];
  /** Outbox rows the messages queued (thank-you mails), for the caller to deliver. */
  outboxIds: string[];
  /** Issue events the mails recorded (team notifications), to fan out next. */
  eventIds: string[];
  /** The poll stopped at `limit`: more mail may be waiting. */
  more: boolean;
  error?: string;
}

const DEFAULT_LEASE_MS = 2 * 60_000;
const HOST = hostname();

/** `host:pid:nonce`: unique per poll, and says which process holds the lease. */
function holderId(): string {
  return `${HOST}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

/**
 * A holder that is certainly dead: a process on this machine that no longer exists (a killed worker restarting
 * need not wait for its own lease to run out). Other machines' holders are trusted until their lease ends.
 */
function deadHolder(holder: string | null): boolean {
  if (!holder) return false;
  const [host, pid] = holder.split(":");
  if (host !== HOST || !/^\d+$/.test(pid ?? "") || Number(pid) === process.pid) return false;
  return !processAlive(Number(pid));
}

async function acquire(source: string, holder: string, intervalSeconds: number, leaseMs: number): Promise<boolean> {
  await db().mailboxPoll.createMany({ data: [{ source, intervalSeconds }], skipDuplicates: true });
  const current = await db().mailboxPoll.findUnique({ where: { source }, select: { lockedBy: true } });
  const now = new Date();
  // One UPDATE decides: of two pollers racing here, the second sees the first's lease and changes nothing.
  const { count } = await db().mailboxPoll.updateMany({
    where: {
      source,
      OR: [
        { lockedUntil: null },
        { lockedUntil: { lt: now } },
        ...(current?.lockedBy && deadHolder(current.lockedBy) ? [{ lockedBy: current.lockedBy }] : []),
      ],
    },
    data: { lockedBy: holder, lockedUntil: new Date(now.getTime() + leaseMs), lastAttemptAt: now, intervalSeconds },
  });
  return count === 1;
}

async function renew(source: string, holder: string, leaseMs: number): Promise<boolean> {
  const { count } = await db().mailboxPoll.updateMany({
    where: { source, lockedBy: holder },
    data: { lockedUntil: new Date(Date.now() + leaseMs) },
  });
  return count === 1;
}

/**
 * Renews the lease every third of its length while a poll runs — a slow message (a big download, a throttled
 * server, a slow database) must not let a second poller in. `lost` once another poller holds it; a renewal the
 * database fails is tried again at the next tick (the lease has two more in it).
 */
function keepLease(source: string, holder: string, leaseMs: number) {
  let lost = false;
  let renewing: Promise<void> | undefined;
  const timer = setInterval(() => {
    renewing ??= renew(source, holder, leaseMs)
      .then(
        (held) => {
          if (!held) lost = true;
        },
        (error: unknown) => console.error(`mailbox ${source}: renewing the poll lease failed:`, error),
      )
      .finally(() => (renewing = undefined));
  }, leaseMs / 3);
  return {
    get lost() {
      return lost;
    },
    async stop() {
      clearInterval(timer);
      await renewing;
    },
  };
}

/**
 * A message the connector quarantined (the source could not hand it over): recorded as ignored with the
 * reason, so the mail log shows it and what to do. Nothing of it could be read, so nothing is stored to replay.
 */
async function recordQuarantined(source: string, { quarantined }: QuarantinedMessage): Promise<IntakeOutcome> {
  const row = await db().inboundEmail.create({
    data: {
      payload: new Uint8Array(0),
      payloadContentType: "message/rfc822",
      size: 0,
      source,
      status: "ignored",
      reason: quarantined.reason.slice(0, 2000),
      processedAt: new Date(),
      messageId: quarantined.messageId?.slice(0, 998) ?? null,
      fromAddress: quarantined.from?.slice(0, 320) ?? null,
      subject: quarantined.subject?.slice(0, 998) ?? null,
    },
    select: { id: true },
  });
  return { status: "ignored", inboundEmailId: row.id, issueIid: null, reason: quarantined.reason, outboxIds: [] };
}

export function describePollError(error: unknown): string {
  return describeImapError(error).slice(0, 2000);
}

/**
 * Polls one mailbox once. Never throws for the mailbox's or a message's problems: a connection or login
 * failure is recorded on the mailbox's row and returned as `error`; the next poll simply tries again.
 */
export async function pollMailbox(connector: MailboxConnector, options: PollOptions = {}): Promise<PollResult> {
  const { source } = connector;
  const limit = options.limit ?? 100;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const holder = holderId();
  const result: PollResult = { source, status: "ok", outcomes: [], outboxIds: [], eventIds: [], more: false };
  if (!(await acquire(source, holder, options.intervalSeconds ?? 60, leaseMs))) return { ...result, status: "busy" };

  let failed = 0;
  const lease = keepLease(source, holder, leaseMs);
  try {
    for await (const message of connector.messages(limit)) {
      // Another poller has the mailbox now: this message is left to it.
      if (lease.lost) throw new Error("The poll lease was lost (another poller took the mailbox over).");
      if ("quarantined" in message) {
        // Already moved aside by the connector.
        result.outcomes.push(await recordQuarantined(source, message));
        continue;
      }
      if (message.raw.byteLength > MAX_INBOUND_BYTES) {
        // Too large to take in: recorded (headers only), then cleared, so it cannot block the mail behind it.
        result.outcomes.push(await storeOversized(message.raw, source));
        await connector.markDone(message.uid);
        continue;
      }
      // Stored first: from here on the mail exists in the database whatever happens to this process.
      const id = await storeInbound(message.raw, "message/rfc822", source);
      let clearError: unknown;
      // Then cleared. A crash between the two fetches it again next time; intake's dedupe makes it a duplicate.
      await connector.markDone(message.uid).catch((error: unknown) => {
        clearError = error;
      });
      let outcome: IntakeOutcome;
      try {
        outcome = await processInbound(id, { stored: { payload: message.raw, contentType: "message/rfc822" } });
      } catch (error) {
        // processInbound keeps mail problems to itself; this is the database failing under it. The row stays
        // `received` and can be replayed from the mail log.
        console.error(`mailbox ${source}: processing stored mail ${id} failed:`, error);
        outcome = { status: "failed", inboundEmailId: id, issueIid: null, reason: describePollError(error), outboxIds: [] };
      }
      result.outcomes.push(outcome);
      result.outboxIds.push(...outcome.outboxIds);
      result.eventIds.push(...(outcome.eventIds ?? []));
      if (outcome.status === "failed") failed++;
      // The connection is likely gone: stop here; the stored mail is safe and the next poll starts afresh.
      if (clearError) throw clearError;
    }
    result.more = result.outcomes.length >= limit;
  } catch (error) {
    result.status = "error";
    result.error = describePollError(error);
  } finally {
    await lease.stop();
  }

  const now = new Date();
  const taken = result.outcomes.length;
  const outcome = {
    totalMessages: { increment: taken },
    totalFailed: { increment: failed },
    ...(result.status === "ok"
      ? { lastSuccessAt: now, lastMessages: taken, consecutiveFailures: 0 }
      : { lastError: result.error, lastErrorAt: now, consecutiveFailures: { increment: 1 } }),
  };
  const { count } = await db().mailboxPoll.updateMany({ where: { source, lockedBy: holder }, data: { lockedBy: null, lockedUntil: null, ...outcome } });
  // The lease was lost meanwhile: what this poll did (and its error) is recorded all the same; the lock is the
  // other poller's.
  if (count === 0) await db().mailboxPoll.updateMany({ where: { source }, data: outcome });
  return result;
}

/** A summary of one poll for logs: counts by outcome. */
export function summarizePoll(result: PollResult): string {
  if (result.status === "busy") return `${result.source}: skipped, another poller holds it`;
  const counts = new Map<string, number>();
  for (const outcome of result.outcomes) counts.set(outcome.status, (counts.get(outcome.status) ?? 0) + 1);
  const parts = [...counts].map(([status, n]) => `${n} ${status}`);
  return `${result.source}: ${result.outcomes.length} message(s)${parts.length ? ` (${parts.join(", ")})` : ""}${result.error ? `; error: ${result.error}` : ""}`;
}
