// Health report for load balancers and uptime checks: database reachable, migrations current, and the mail
// backlog (counts and ages only — nothing about who mailed what).
import { deliveryBacklog } from "@/lib/data/code-host-deliveries";
import { issueEventBacklog } from "@/lib/data/issue-events";
import { db } from "@/lib/db/client";
import { migrationsCurrent, type SqlConnection } from "@/lib/db/migrate";
import { mailboxHealth, type MailboxHealth } from "@/lib/mail/mailbox/status";
import { outboxBacklog, type OutboxBacklog } from "@/lib/mail/outbox";
import { inboundBacklog, type InboundBacklog } from "@/lib/service-desk/intake-queries";
import { env } from "@/lib/env";
import { liveBusStatus } from "@/lib/live/bus";

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
  /** Outgoing mail: OutboxBacklog (reported, not a 503: a SendGrid outage must not take instances out of service). */
  outbox: OutboxBacklog | null;
  /** Stored mail not yet at an outcome (`received`), past its lease (`stuck`), given up (`failed`): InboundBacklog. */
  inbound: InboundBacklog | null;
  /** Code-host webhook deliveries not yet processed (`received`) and those past their lease for 5 minutes (`stuck`). */
  code_host_deliveries?: { received: number; stuck: number };
  /** Issue events not yet fanned out into team notifications, and those pending for over 10 minutes. */
  team_notifications?: { pending: number; stuck: number };
  /** Live pages: LIVE_UPDATES, the streams this instance holds, and whether its listening connection is up (when it has streams). */
  live?: { mode: string; streams: number; listening: boolean };
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
  const [outbox, mailboxes, inbound, deliveries, events] = await Promise.all([outboxBacklog(), mailboxHealth(), inboundBacklog(), deliveryBacklog(), issueEventBacklog()]);
  return {
    status: current ? "ok" : "unavailable",
    database: "ok",
    migrations: current === null ? "unknown" : current ? "current" : "pending",
    outbox,
    inbound,
    code_host_deliveries: deliveries,
    team_notifications: events,
    live: { mode: env().LIVE_UPDATES, ...liveBusStatus() },
    ...(mailboxes.length ? { mailboxes } : {}),
  };
}
