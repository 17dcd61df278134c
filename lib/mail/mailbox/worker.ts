// The long-running mailbox worker (`npm run worker`): one loop per configured mailbox — poll, deliver what the
// poll queued, then wait for mail (IMAP IDLE, or Graph's poll interval) — reconnecting with exponential
// backoff after a failure, plus a loop that drains the outbox, one that finishes stored mail an interrupted
// processing left behind, and one that applies retention (lib/privacy/retention.ts). Stops cleanly when its signal aborts.
import { env } from "@/lib/env";
import { deliverOutbox } from "@/lib/mail/outbox";
import { runRetention } from "@/lib/privacy/retention";
import { recoverDeliveries } from "@/lib/code-hosts/recover-deliveries";
import { fanOutEvents } from "@/lib/notifications/fan-out";
import { recoverInbound } from "@/lib/service-desk/recovery";
import { connectorFor, mailboxConfigs, type MailboxConfig } from "./config";
import { describePollError, pollMailbox, summarizePoll } from "./poll";
import type { MailboxConnector } from "./types";

export interface WorkerOptions {
  signal: AbortSignal;
  log?: (line: string) => void;
  /** The mailboxes to work (default: the configured ones). */
  mailboxes?: MailboxConfig[];
  /** Messages per poll before the worker looks at the outbox again. */
  limit?: number;
  /** First reconnect delay; doubles per failure up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  outboxIntervalMs?: number;
  /** How often stored mail left unfinished is looked for (lib/service-desk/recovery.ts). */
  recoveryIntervalMs?: number;
  /** How often old mail is purged (a pass is bounded; a full one goes on at once). */
  retentionIntervalMs?: number;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

export function backoffDelay(failures: number, baseMs: number, maxMs: number): number {
  const exact = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  // Jitter, so workers that lost the same server do not all come back at the same instant.
  return Math.round(exact * (0.8 + Math.random() * 0.4));
}

async function mailboxLoop(mailbox: MailboxConfig, options: Required<Omit<WorkerOptions, "mailboxes">>) {
  const { signal, log } = options;
  let connector: MailboxConnector | undefined;
  let failures = 0;
  while (!signal.aborted) {
    try {
      connector ??= connectorFor(mailbox);
      const result = await pollMailbox(connector, { limit: options.limit, intervalSeconds: mailbox.intervalSeconds });
      log(summarizePoll(result));
      if (result.outboxIds.length) await deliverOutbox({ ids: result.outboxIds });
      if (result.eventIds.length) {
        const notifications = await fanOutEvents({ ids: result.eventIds });
        if (notifications.outboxIds.length) await deliverOutbox({ ids: notifications.outboxIds });
      }
      if (result.status === "error") throw new Error(result.error);
      failures = 0;
      if (result.status === "busy") await pause(mailbox.intervalSeconds * 1000, signal);
      else if (!result.more) await connector.waitForMail(signal);
    } catch (error) {
      failures++;
      const delay = backoffDelay(failures, options.backoffMs, options.maxBackoffMs);
      log(`${mailbox.source}: ${describePollError(error)} — reconnecting in ${Math.round(delay / 1000)} s (failure ${failures})`);
      await connector?.close().catch(() => undefined);
      connector = undefined;
      await pause(delay, signal);
    }
  }
  await connector?.close().catch(() => undefined);
}

async function outboxLoop(options: Required<Omit<WorkerOptions, "mailboxes">>) {
  const { signal, log } = options;
  while (!signal.aborted) {
    if (env().SENDGRID_API_KEY) {
      try {
        const { sent, failed, retrying } = await deliverOutbox({ limit: 200 });
        if (sent + failed + retrying > 0) log(`outbox: ${sent} sent, ${retrying} to retry, ${failed} failed`);
      } catch (error) {
        log(`outbox: ${describePollError(error)}`);
      }
    }
    await pause(options.outboxIntervalMs, signal);
  }
}

/** Stored mail an interrupted processing left unfinished (webhook or mailbox), and code-host deliveries, taken up again. */
async function recoveryLoop(options: Required<Omit<WorkerOptions, "mailboxes">>) {
  const { signal, log } = options;
  while (!signal.aborted) {
    try {
      const result = await recoverInbound({ limit: 50 });
      if (result.processed > 0) log(`inbound: finished ${result.processed} interrupted mail(s) ${JSON.stringify(result.outcomes)}`);
      if (result.outboxIds.length) await deliverOutbox({ ids: result.outboxIds });
      const deliveries = await recoverDeliveries({ limit: 50 });
      if (deliveries.processed > 0) log(`code hosts: finished ${deliveries.processed} interrupted deliver${deliveries.processed === 1 ? "y" : "ies"}`);
      if (deliveries.outboxIds.length) await deliverOutbox({ ids: deliveries.outboxIds });
      const notifications = await fanOutEvents({ limit: 100 });
      if (notifications.outboxIds.length) await deliverOutbox({ ids: notifications.outboxIds });
      if (result.more || deliveries.more || notifications.more) continue;
    } catch (error) {
      log(`inbound recovery: ${describePollError(error)}`);
    }
    await pause(options.recoveryIntervalMs, signal);
  }
}

// Not at start: a worker restarted in a loop (or a test's short-lived one) need not scan for old mail each time.
const RETENTION_FIRST_PASS_MS = 5 * 60_000;

async function retentionLoop(options: Required<Omit<WorkerOptions, "mailboxes">>) {
  const { signal, log } = options;
  await pause(Math.min(RETENTION_FIRST_PASS_MS, options.retentionIntervalMs), signal);
  while (!signal.aborted) {
    try {
      const { inbound, outbound, deliveries, more } = await runRetention();
      if (inbound + outbound + deliveries > 0)
        log(`retention: purged ${inbound} inbound payload(s), ${outbound} sent mail body(ies), ${deliveries} code-host delivery payload(s)`);
      if (more) continue;
    } catch (error) {
      log(`retention: ${describePollError(error)}`);
    }
    await pause(options.retentionIntervalMs, signal);
  }
}

/** Runs until `signal` aborts; then finishes the poll in progress, closes the connections and resolves. */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const settings = {
    log: (line: string) => console.log(`${new Date().toISOString()} ${line}`),
    limit: 50,
    backoffMs: 1_000,
    maxBackoffMs: 5 * 60_000,
    outboxIntervalMs: 30_000,
    recoveryIntervalMs: 30_000,
    retentionIntervalMs: 60 * 60_000,
    ...options,
  };
  const mailboxes = options.mailboxes ?? mailboxConfigs();
  if (mailboxes.length === 0) settings.log("no mailbox configured (IMAP_* or GRAPH_*): only draining the outbox");
  for (const mailbox of mailboxes) settings.log(`watching ${mailbox.source}`);
  await Promise.all([...mailboxes.map((mailbox) => mailboxLoop(mailbox, settings)), outboxLoop(settings), recoveryLoop(settings), retentionLoop(settings)]);
  settings.log("worker stopped");
}
