// The outbox: mail is written as a row (in the same transaction as whatever caused it), then delivered by
// `deliverOutbox`, which claims rows so that concurrent senders never send one twice.
import { randomUUID } from "node:crypto";
import { db, type Db } from "@/lib/db/client";
import { sql } from "@/lib/db/sql";
import { env } from "@/lib/env";
import type { Prisma } from "@/lib/generated/prisma/client";
import { describeSendGridError, rateLimitResetAt, sendViaSendGrid } from "./sendgrid";

export interface MailInput {
  /** What the mail is for, e.g. "sign_in", "thank_you". */
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  fromName?: string;
  replyTo?: string;
  /** Extra headers; a Message-ID is generated when this has none. */
  headers?: Record<string, string>;
  issueId?: number;
  /** Carries a credential (sign-in link): the stored copy is redacted once SendGrid has it. */
  sensitive?: boolean;
  /** Kept back (loop brake): stored as `held`, sent only when someone releases it in the mail log. */
  held?: boolean;
}

type Tx = Pick<Db, "outboundEmail">;

// Lease of a claimed row: a sender that died mid-send releases it after this long (at most one extra send).
const LEASE_MS = 5 * 60_000;
const REDACTED = "[redacted: this mail carried a sign-in link]";

/** The host part of every Message-ID we generate (and of our origin stamp): APP_URL's host name. */
export function messageIdHost(): string {
  return new URL(env().APP_URL).hostname || "localhost";
}

/** Headers every outgoing mail carries; the origin stamp lets intake recognise our own mail coming back. */
function baseHeaders(): Record<string, string> {
  return { "Message-ID": `<${randomUUID()}@${messageIdHost()}>`, "X-Service-Desk-Origin": messageIdHost() };
}

/** The outbox row of one mail (every column but the id and the delivery bookkeeping). */
export function outboxRow(input: MailInput) {
  const config = env();
  return {
    kind: input.kind,
    to: input.to,
    fromEmail: config.SENDGRID_FROM_EMAIL,
    fromName: input.fromName ?? "Service Desk",
    replyTo: input.replyTo ?? null,
    subject: input.subject,
    text: input.text,
    html: input.html,
    headers: { ...baseHeaders(), ...input.headers },
    issueId: input.issueId ?? null,
    sensitive: input.sensitive ?? false,
    // Without SENDGRID_API_KEY mail is kept for the dev mailbox instead.
    status: input.held ? "held" : config.SENDGRID_API_KEY ? "pending" : "dev",
    transport: config.SENDGRID_API_KEY ? "sendgrid" : "dev",
  };
}

/** Writes one mail to the outbox; without SENDGRID_API_KEY it is kept for the dev mailbox instead. */
export async function enqueueMail(input: MailInput, tx: Tx = db()): Promise<string> {
  const row = await tx.outboundEmail.create({ data: outboxRow(input), select: { id: true } });
  return row.id;
}

interface ClaimedRow {
  id: string;
  to: string;
  from_email: string;
  from_name: string | null;
  reply_to: string | null;
  subject: string;
  text: string;
  html: string;
  headers: Prisma.JsonValue;
  sensitive: boolean;
  attempts: number;
  /** ISO 8601, UTC. */
  first_attempt_at: string;
}

/**
 * Claims due rows (all of them, or just `ids`) at `now`: FOR UPDATE SKIP LOCKED lets several senders share the
 * work. The time is a parameter, not the database's now(), so the retry schedule can be tested on a clock.
 */
async function claim(ids: string[] | undefined, limit: number, now: Date): Promise<ClaimedRow[]> {
  const onlyIds = ids && ids.length > 0;
  // ISO strings cast to timestamp keep their UTC wall time, as Prisma stores DateTime columns.
  return sql<ClaimedRow>(
    `UPDATE outbound_emails SET status = 'sending', locked_until = $1::timestamp + ($2 || ' milliseconds')::interval,
       attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, $1::timestamp)
     WHERE id IN (
       SELECT id FROM outbound_emails
       WHERE ((status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $1::timestamp))
              OR (status = 'sending' AND locked_until < $1::timestamp))
         ${onlyIds ? "AND id = ANY($4::text[])" : ""}
       ORDER BY created_at
       LIMIT $3
       FOR UPDATE SKIP LOCKED)
     RETURNING id, "to", from_email, from_name, reply_to, subject, text, html, headers, sensitive, attempts,
       to_char(first_attempt_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS first_attempt_at`,
    [now.toISOString(), String(LEASE_MS), limit, ...(onlyIds ? [ids] : [])],
  );
}

function retryable(error: unknown): boolean {
  const code = (error as { code?: number | string }).code;
  return typeof code !== "number" || code === 429 || code >= 500;
}

// The retry schedule of a mail SendGrid could not take (5xx, timeout, network error): quick at first, for a
// blip, then about hourly, until RETRY_WINDOW_MS after its first attempt — a day-long SendGrid outage loses
// nothing. Each wait is its step ±RETRY_JITTER, so mails that failed together do not come back together; the
// last step is 50 minutes, so no wait is longer than an hour.
export const RETRY_STEPS_MS = [10_000, 30_000, 60_000, 2 * 60_000, 5 * 60_000, 15 * 60_000, 30 * 60_000, 50 * 60_000];
export const RETRY_JITTER = 0.2;
export const MAX_RETRY_DELAY_MS = 60 * 60_000;
export const RETRY_WINDOW_MS = 48 * 60 * 60_000;

/** The wait after the `attempts`-th attempt failed. */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const step = RETRY_STEPS_MS[Math.min(Math.max(attempts, 1), RETRY_STEPS_MS.length) - 1];
  return Math.round(step * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
}

/**
 * When to try a mail again after its `attempts`-th attempt failed at `now` with a retryable error, or
 * undefined once RETRY_WINDOW_MS have passed since its first attempt (then it is `failed`, for a person). A 429
 * is tried again when SendGrid's X-RateLimit-Reset says (plus up to 5 s, so senders do not stampede; at most an
 * hour away); other waits follow the schedule, the last one ending at the window's end.
 */
export function nextAttemptAt(error: unknown, attempts: number, firstAttemptAt: Date, now: Date, random: () => number = Math.random): Date | undefined {
  const deadline = firstAttemptAt.getTime() + RETRY_WINDOW_MS;
  if (now.getTime() >= deadline) return undefined;
  const reset = rateLimitResetAt(error);
  if (reset) return new Date(Math.min(Math.max(reset.getTime(), now.getTime()) + random() * 5_000, now.getTime() + MAX_RETRY_DELAY_MS));
  return new Date(Math.min(now.getTime() + retryDelayMs(attempts, random), deadline));
}

/** States only SendGrid's Event Webhook sets (lib/mail/events.ts): a sender's own outcome never replaces them. */
export const EVENT_STATES = ["deferred", "delivered", "bounced"] as const;

export interface DeliveryResult {
  sent: number;
  failed: number;
  retrying: number;
  errors: Record<string, string>;
}

/** What one send came to, as the row should record it. Times are ISO strings (see `claim`). */
interface Outcome {
  id: string;
  status: "sent" | "pending" | "failed";
  error: string | null;
  nextAttemptAt: string | null;
  sentAt: string | null;
  providerMessageId: string | null;
  /** A sensitive mail's body is replaced once it is out of the queue (sent or failed). */
  redact: boolean;
}

const OUTCOME_BATCH = 25;
const OUTCOME_DELAY_MS = 50;
// A failed outcome write is tried again after these pauses; only then does the drain stop (the rows' lease is
// the last resort: their mail is sent once more when it runs out).
const WRITE_RETRY_MS = [100, 400, 1_600];

/**
 * One statement for a batch of outcomes. The row keeps its state (and error, and next attempt) when a delivery
 * event came in while it was `sending` (EVENT_STATES: SendGrid knows better than the sender), or when this is a
 * failure and the row is no longer `sending` (another sender took it over after the lease and sent it). The
 * send's own data (sent_at, message id) is recorded either way, and the lease ends.
 */
async function writeOutcomes(outcomes: Outcome[]): Promise<void> {
  const column = <K extends keyof Outcome>(key: K) => outcomes.map((o) => o[key]);
  const keep = `o.status = ANY($8::text[]) OR (v.status <> 'sent' AND o.status <> 'sending')`;
  await sql(
    `UPDATE outbound_emails o SET
       status = CASE WHEN ${keep} THEN o.status ELSE v.status END,
       error = CASE WHEN ${keep} THEN o.error ELSE v.error END,
       next_attempt_at = CASE WHEN ${keep} THEN o.next_attempt_at ELSE v.next_attempt_at::timestamp END,
       sent_at = COALESCE(v.sent_at::timestamp, o.sent_at),
       provider_message_id = COALESCE(v.provider_message_id, o.provider_message_id),
       locked_until = NULL,
       text = CASE WHEN v.redact THEN $9 ELSE o.text END,
       html = CASE WHEN v.redact THEN $9 ELSE o.html END
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[])
       AS v(id, status, error, next_attempt_at, sent_at, provider_message_id, redact)
     WHERE o.id = v.id`,
    [
      column("id"),
      column("status"),
      column("error"),
      column("nextAttemptAt"),
      column("sentAt"),
      column("providerMessageId"),
      column("redact"),
      [...EVENT_STATES],
      REDACTED,
    ],
  );
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Records send outcomes without holding up the sending: outcomes wait until OUTCOME_BATCH of them have
 * gathered or the oldest is OUTCOME_DELAY_MS old, and while one write is in flight, the outcomes that arrive
 * meanwhile go together in the next one — never a database round trip per mail between two sends. A write
 * that fails is tried again (WRITE_RETRY_MS), and meanwhile no more mail is sent (`ready`), so a database
 * hiccup costs a pause, not the drain. A process that dies, or a database that stays down, loses at most the
 * waiting outcomes: their rows keep their lease and are sent once more, identifiable by outbox id.
 */
class OutcomeWriter {
  private queue: Outcome[] = [];
  private running: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing = false;
  /** A write failed and is being retried. */
  private stalled = false;
  failure: { error: unknown } | undefined;

  add(outcome: Outcome): void {
    this.queue.push(outcome);
    this.kick();
  }

  /** Whether sending may go on: waits while a failed write is being retried; false once the writer gave up. */
  async ready(): Promise<boolean> {
    if (this.stalled && this.running) await this.running;
    return !this.failure;
  }

  /** Waits until every outcome is written; rethrows a write's failure. */
  async flush(): Promise<void> {
    this.flushing = true;
    // An outcome that arrived after a drain's last check but before it let go of `running` is still queued.
    for (;;) {
      if (this.running) await this.running;
      else if (this.failure) throw this.failure.error;
      else if (this.queue.length) this.kick();
      else return;
    }
  }

  private kick(): void {
    if (this.running) return;
    if (this.queue.length < OUTCOME_BATCH && !this.flushing) {
      // A fast SendGrid answers in about a millisecond: writing each outcome as it comes would cost as much
      // as the sending itself.
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.start();
      }, OUTCOME_DELAY_MS);
      return;
    }
    this.start();
  }

  private start(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  private async drain(): Promise<void> {
    while (!this.failure && this.queue.length) {
      const batch = this.queue;
      this.queue = [];
      for (let retry = 0; ; retry++) {
        try {
          // Idempotent: a write that failed halfway can be repeated whole.
          await writeOutcomes(batch);
          break;
        } catch (error) {
          if (retry >= WRITE_RETRY_MS.length) {
            this.failure = { error };
            return;
          }
          this.stalled = true;
          console.warn(`outbox: recording ${batch.length} outcome(s) failed, trying again in ${WRITE_RETRY_MS[retry]} ms:`, (error as Error).message);
          await pause(WRITE_RETRY_MS[retry]);
        }
      }
      this.stalled = false;
    }
  }
}

export interface DeliverOptions {
  /** Only these rows (when due); default: any due rows. */
  ids?: string[];
  limit?: number;
  /** The clock (tests); every time the drain writes or compares comes from it. */
  now?: () => Date;
}

/**
 * Sends due outbox rows through SendGrid, one at a time. Failures are kept on the row; retryable ones are tried
 * again later (`nextAttemptAt`). Outcomes are written while the next mails go out (OutcomeWriter), so a drain
 * runs at about the pace of SendGrid's answers.
 */
export async function deliverOutbox(options: DeliverOptions = {}): Promise<DeliveryResult> {
  const result: DeliveryResult = { sent: 0, failed: 0, retrying: 0, errors: {} };
  if (!env().SENDGRID_API_KEY) return result;
  const now = options.now ?? (() => new Date());
  const rows = await claim(options.ids, options.limit ?? 50, now());
  const writer = new OutcomeWriter();
  for (const row of rows) {
    // Sending waits while a failed outcome write is retried; a database that stays down stops the drain. Mail
    // sent but not yet recorded keeps its claimed row, whose lease runs out: it is sent once more, identifiable
    // by its outbox id.
    if (!(await writer.ready())) break;
    const outcome = { id: row.id, error: null, nextAttemptAt: null, sentAt: null, providerMessageId: null, redact: false };
    try {
      const providerMessageId = await sendViaSendGrid({
        to: row.to,
        from: { email: row.from_email, name: row.from_name ?? undefined },
        replyTo: row.reply_to ?? undefined,
        subject: row.subject,
        text: row.text,
        html: row.html,
        headers: (row.headers ?? {}) as Record<string, string>,
        customArgs: { outbound_email_id: row.id },
      });
      writer.add({ ...outcome, status: "sent", sentAt: now().toISOString(), providerMessageId: providerMessageId ?? null, redact: row.sensitive });
      result.sent++;
    } catch (error) {
      const message = describeSendGridError(error);
      result.errors[row.id] = message;
      const again = retryable(error) ? nextAttemptAt(error, row.attempts, new Date(row.first_attempt_at), now()) : undefined;
      if (again) {
        writer.add({ ...outcome, status: "pending", error: message, nextAttemptAt: again.toISOString() });
        result.retrying++;
      } else {
        const gaveUp = retryable(error) ? ` (tried for ${RETRY_WINDOW_MS / 3_600_000} hours; no more retries)` : "";
        writer.add({ ...outcome, status: "failed", error: message + gaveUp, redact: row.sensitive });
        result.failed++;
      }
    }
  }
  await writer.flush();
  return result;
}

export interface OutboxBacklog {
  /** Waiting to be sent or being sent. */
  pending: number;
  failed: number;
  oldest_pending_seconds: number | null;
  /** Of the pending ones, those SendGrid already refused for now (at least one attempt). */
  retrying: number;
  /** How long SendGrid has been failing the longest-retried mail (since its first attempt). */
  oldest_retrying_seconds: number | null;
  /** Due for over 5 minutes and not sent: nothing is draining the outbox (no cron, no worker). */
  overdue: number;
}

/** The outbox's backlog for /api/health, in one statement. */
export async function outboxBacklog(): Promise<OutboxBacklog> {
  const [row] = await sql<{ pending: number; failed: number; oldest_pending: number | null; retrying: number; oldest_retrying: number | null; overdue: number }>(
    `SELECT (count(*) FILTER (WHERE status IN ('pending', 'sending')))::int AS pending,
            (count(*) FILTER (WHERE status = 'failed'))::int AS failed,
            EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE status IN ('pending', 'sending')))::float8 AS oldest_pending,
            (count(*) FILTER (WHERE status = 'pending' AND attempts > 0))::int AS retrying,
            EXTRACT(EPOCH FROM now() - min(first_attempt_at) FILTER (WHERE status = 'pending' AND attempts > 0))::float8 AS oldest_retrying,
            (count(*) FILTER (WHERE status = 'pending' AND COALESCE(next_attempt_at, created_at) < now() - interval '5 minutes'))::int AS overdue
     FROM outbound_emails WHERE status IN ('pending', 'sending', 'failed')`,
  );
  const seconds = (value: number | null) => (value === null ? null : Math.round(Number(value)));
  return {
    pending: Number(row.pending),
    failed: Number(row.failed),
    oldest_pending_seconds: seconds(row.oldest_pending),
    retrying: Number(row.retrying),
    oldest_retrying_seconds: seconds(row.oldest_retrying),
    overdue: Number(row.overdue),
  };
}
