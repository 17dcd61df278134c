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
const MAX_ATTEMPTS = 5;
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
}

/** Claims due rows (all of them, or just `ids`): FOR UPDATE SKIP LOCKED lets several senders share the work. */
async function claim(ids: string[] | undefined, limit: number): Promise<ClaimedRow[]> {
  const onlyIds = ids && ids.length > 0;
  return sql<ClaimedRow>(
    `UPDATE outbound_emails SET status = 'sending', locked_until = now() + ($1 || ' milliseconds')::interval, attempts = attempts + 1
     WHERE id IN (
       SELECT id FROM outbound_emails
       WHERE ((status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= now()))
              OR (status = 'sending' AND locked_until < now()))
         ${onlyIds ? "AND id = ANY($3::text[])" : ""}
       ORDER BY created_at
       LIMIT $2
       FOR UPDATE SKIP LOCKED)
     RETURNING id, "to", from_email, from_name, reply_to, subject, text, html, headers, sensitive, attempts`,
    [String(LEASE_MS), limit, ...(onlyIds ? [ids] : [])],
  );
}

function retryable(error: unknown): boolean {
  const code = (error as { code?: number | string }).code;
  return typeof code !== "number" || code === 429 || code >= 500;
}

function backoffMs(attempts: number): number {
  return Math.min(60 * 60_000, 30_000 * 2 ** (attempts - 1)) * (0.75 + Math.random() * 0.5);
}

/** A 429 is retried when SendGrid's window resets (plus jitter, so senders do not stampede); else backoff. */
function nextAttempt(error: unknown, attempts: number): Date {
  const reset = rateLimitResetAt(error);
  const backoff = Date.now() + backoffMs(attempts);
  if (!reset) return new Date(backoff);
  return new Date(Math.min(Math.max(reset.getTime(), Date.now()) + Math.random() * 5_000, Date.now() + 60 * 60_000));
}

export interface DeliveryResult {
  sent: number;
  failed: number;
  retrying: number;
  errors: Record<string, string>;
}

type Outcome = Prisma.OutboundEmailUpdateManyMutationInput;

const OUTCOME_BATCH = 25;
const OUTCOME_DELAY_MS = 50;

/**
 * Records send outcomes without holding up the sending: outcomes wait until OUTCOME_BATCH of them have
 * gathered or the oldest is OUTCOME_DELAY_MS old, and while one write is in flight, the outcomes that arrive
 * meanwhile go together in the next one (all sent rows in one statement) — never a database round trip per
 * mail between two sends. A process that dies loses at most those waiting outcomes: their rows keep their
 * lease and are sent once more, identifiable by outbox id.
 */
class OutcomeWriter {
  private sent: { id: string; providerMessageId: string | null; sentAt: string; redact: boolean }[] = [];
  private others: { id: string; data: Outcome }[] = [];
  private running: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing = false;
  failure: { error: unknown } | undefined;

  markSent(id: string, providerMessageId: string | undefined, redact: boolean): void {
    this.sent.push({ id, providerMessageId: providerMessageId ?? null, sentAt: new Date().toISOString(), redact });
    this.kick();
  }

  record(id: string, data: Outcome): void {
    this.others.push({ id, data });
    this.kick();
  }

  /** Waits until every outcome is written; rethrows a write's failure. */
  async flush(): Promise<void> {
    this.flushing = true;
    // An outcome that arrived after a drain's last check but before it let go of `running` is still queued.
    for (;;) {
      if (this.running) await this.running;
      else if (this.failure) throw this.failure.error;
      else if (this.sent.length || this.others.length) this.kick();
      else return;
    }
  }

  private kick(): void {
    if (this.running) return;
    const queued = this.sent.length + this.others.length;
    if (queued < OUTCOME_BATCH && !this.flushing) {
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
    while (!this.failure && (this.sent.length || this.others.length)) {
      const [sent, others] = [this.sent, this.others];
      this.sent = [];
      this.others = [];
      try {
        if (sent.length)
          // ISO strings cast to timestamp keep their UTC wall time, as Prisma stores DateTime columns.
          await sql(
            `UPDATE outbound_emails o SET status = 'sent', sent_at = v.sent_at::timestamp, provider_message_id = v.provider_message_id,
               locked_until = NULL, error = NULL,
               text = CASE WHEN v.redact THEN $5 ELSE o.text END, html = CASE WHEN v.redact THEN $5 ELSE o.html END
             FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[]) AS v(id, provider_message_id, sent_at, redact)
             WHERE o.id = v.id`,
            [sent.map((r) => r.id), sent.map((r) => r.providerMessageId), sent.map((r) => r.sentAt), sent.map((r) => r.redact), REDACTED],
          );
        for (const { id, data } of others) await db().outboundEmail.updateMany({ where: { id }, data });
      } catch (error) {
        this.failure = { error };
      }
    }
  }
}

/**
 * Sends due outbox rows through SendGrid, one at a time. Failures are kept on the row; retryable ones are tried
 * again later. Outcomes are written while the next mails go out (OutcomeWriter), so a drain runs at about the
 * pace of SendGrid's answers.
 */
export async function deliverOutbox(options: { ids?: string[]; limit?: number } = {}): Promise<DeliveryResult> {
  const result: DeliveryResult = { sent: 0, failed: 0, retrying: 0, errors: {} };
  if (!env().SENDGRID_API_KEY) return result;
  const rows = await claim(options.ids, options.limit ?? 50);
  const writer = new OutcomeWriter();
  for (const row of rows) {
    // A database that stopped taking writes stops the drain. Mail sent but not yet recorded keeps its claimed
    // row, whose lease runs out: it is sent once more, identifiable by its outbox id.
    if (writer.failure) break;
    const redact = row.sensitive ? { text: REDACTED, html: REDACTED } : {};
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
      writer.markSent(row.id, providerMessageId, row.sensitive);
      result.sent++;
    } catch (error) {
      const message = describeSendGridError(error);
      result.errors[row.id] = message;
      const again = retryable(error) && row.attempts < MAX_ATTEMPTS;
      writer.record(
        row.id,
        again
          ? { status: "pending", error: message, lockedUntil: null, nextAttemptAt: nextAttempt(error, row.attempts) }
          : { status: "failed", error: message, lockedUntil: null, ...redact },
      );
      if (again) result.retrying++;
      else result.failed++;
    }
  }
  await writer.flush();
  return result;
}
