// Health report for load balancers and uptime checks: database reachable, migrations current, and the mail
// backlog (counts and ages only — nothing about who mailed what).
import { db } from "@/lib/db/client";
import { migrationsCurrent, type SqlConnection } from "@/lib/db/migrate";
import { mailboxHealth, type MailboxHealth } from "@/lib/mail/mailbox/status";

const CHECK_TIMEOUT_MS = 5_000;

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  return Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} timed out`)), CHECK_TIMEOUT_MS).unref())]);
}

// The migration check speaks SqlConnection; the app's Prisma client can serve it.
const prismaConnection = (): SqlConnection => ({
  query: async <R,>(sql: string, params: unknown[] = []) => ({ rows: await db().$queryRawUnsafe<R[]>(sql, ...params) }),
  exec: (sql: string) => db().$executeRawUnsafe(sql),
});

export interface HealthReport {
  status: "ok" | "unavailable";
  database: "ok" | "unreachable";
  migrations: "current" | "pending" | "unknown";
  outbox: { pending: number; failed: number; oldest_pending_seconds: number | null } | null;
  inbound: { failed: number; oldest_failed_at: string | null } | null;
  /** Configured mailboxes (IMAP/Graph); `stale` = no successful poll for 3 intervals. Reported, not a 503. */
  mailboxes?: MailboxHealth[];
  error?: string;
}

export async function healthReport(): Promise<HealthReport> {
  try {
    await withTimeout(db().$queryRawUnsafe("SELECT 1"), "database");
  } catch (error) {
    return { status: "unavailable", database: "unreachable", migrations: "unknown", outbox: null, inbound: null, error: (error as Error).message };
  }
  const current = await withTimeout(migrationsCurrent(prismaConnection()), "migration check").catch(() => null);
  const [pending, failed, oldestPending, inboundFailed, oldestFailed, mailboxes] = await Promise.all([
    db().outboundEmail.count({ where: { status: { in: ["pending", "sending"] } } }),
    db().outboundEmail.count({ where: { status: "failed" } }),
    db().outboundEmail.findFirst({ where: { status: { in: ["pending", "sending"] } }, orderBy: { createdAt: "asc" }, select: { createdAt: true } }),
    db().inboundEmail.count({ where: { status: "failed" } }),
    db().inboundEmail.findFirst({ where: { status: "failed" }, orderBy: { receivedAt: "asc" }, select: { receivedAt: true } }),
    mailboxHealth(),
  ]);
  return {
    status: current ? "ok" : "unavailable",
    database: "ok",
    migrations: current === null ? "unknown" : current ? "current" : "pending",
    outbox: { pending, failed, oldest_pending_seconds: oldestPending ? Math.round((Date.now() - oldestPending.createdAt.getTime()) / 1000) : null },
    inbound: { failed: inboundFailed, oldest_failed_at: oldestFailed?.receivedAt.toISOString() ?? null },
    ...(mailboxes.length ? { mailboxes } : {}),
  };
}
