// One bounded poll of every configured mailbox, for /api/cron/mailbox: each call connects, takes at most
// `limit` messages per mailbox, disconnects, and leaves the rest to the next call.
import { deliverSoon } from "@/lib/mail/deliver-soon";
import { connectorFor, mailboxConfigs } from "./config";
import { describePollError, pollMailbox } from "./poll";

export interface MailboxPollSummary {
  source: string;
  status: "ok" | "busy" | "error";
  messages: number;
  statuses: Record<string, number>;
  more: boolean;
  error?: string;
}

export async function pollConfiguredMailboxes(options: { limit: number }): Promise<MailboxPollSummary[]> {
  const out: MailboxPollSummary[] = [];
  for (const mailbox of mailboxConfigs()) {
    try {
      const connector = connectorFor(mailbox);
      try {
        const result = await pollMailbox(connector, { limit: options.limit, intervalSeconds: mailbox.intervalSeconds });
        deliverSoon(result.outboxIds);
        const statuses: Record<string, number> = {};
        for (const outcome of result.outcomes) statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
        out.push({ source: result.source, status: result.status, messages: result.outcomes.length, statuses, more: result.more, ...(result.error ? { error: result.error } : {}) });
      } finally {
        await connector.close().catch(() => undefined);
      }
    } catch (error) {
      // A connector that cannot even be built (or a database failure): reported, the other mailboxes still run.
      out.push({ source: mailbox.source, status: "error", messages: 0, statuses: {}, more: false, error: describePollError(error) });
    }
  }
  return out;
}
