// IMAP mailbox connector (imapflow): lists every message of the folder by UID, hands over each one's exact
// source, and moves it to the processed folder — or flags it \Deleted and expunges it — once it is stored.
import type { ConnectionOptions } from "node:tls";
import { ImapFlow } from "imapflow";
import type { FetchedMessage, MailboxConnector } from "./types";

export interface ImapConfig {
  host: string;
  port: number;
  /** TLS from the first byte (993). */
  secure: boolean;
  /** Without `secure`: true = STARTTLS or no login, false = never, undefined = when the server offers it. */
  startTls?: boolean;
  user: string;
  password: string;
  mailbox: string;
  /** Where processed mail goes; undefined = flag \Deleted and expunge. */
  processedMailbox?: string;
  /** Longest IDLE before the worker polls again anyway (servers drop idle sessions after 30 minutes). */
  idleTimeoutMs: number;
  /** Extra TLS options (a private CA, for instance). */
  tls?: ConnectionOptions;
  /** Connect + greeting budget; a dead server must not hold a poll for imapflow's default 90 s. */
  connectTimeoutMs?: number;
}

export function imapSource(config: Pick<ImapConfig, "user" | "host" | "mailbox">): string {
  return `imap:${config.user}@${config.host}/${config.mailbox}`;
}

interface ImapErrorFields {
  code?: string;
  responseText?: string;
  serverResponseCode?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
}

/** One line an operator can act on: imapflow's messages alone are often just "Command failed". */
export function describeImapError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const fields = error as Error & ImapErrorFields;
  const tls = fields.tlsFailed || /^ERR_SSL|^ERR_TLS|CERT|^DEPTH_ZERO|^UNABLE_TO/.test(fields.code ?? "");
  const parts = [fields.authenticationFailed ? "IMAP login failed" : tls ? "TLS failed" : undefined, error.message.replace(/\s+/g, " ").trim()];
  if (fields.responseText && !error.message.includes(fields.responseText)) parts.push(`server said: ${fields.responseText}`);
  if (fields.serverResponseCode) parts.push(`[${fields.serverResponseCode}]`);
  if (fields.code && !error.message.includes(fields.code)) parts.push(`(${fields.code})`);
  return parts.filter(Boolean).join(": ").replace(/: \[/, " [").replace(/: \(/, " (");
}

function parseUid(uid: string): { validity: string; uid: number } {
  const match = /^(\d+):(\d+)$/.exec(uid);
  if (!match) throw new Error(`Not an IMAP message id: ${uid}`);
  return { validity: match[1], uid: Number(match[2]) };
}

export function imapConnector(config: ImapConfig): MailboxConnector {
  let client: ImapFlow | undefined;
  let validity = "";

  const drop = () => {
    const old = client;
    client = undefined;
    old?.close();
  };

  async function open(): Promise<ImapFlow> {
    if (client?.usable) return client;
    drop();
    const timeout = config.connectTimeoutMs ?? 30_000;
    const next = new ImapFlow({
      host: config.host,
      port: config.port,
      secure: config.secure,
      ...(config.secure || config.startTls === undefined ? {} : { doSTARTTLS: config.startTls }),
      auth: { user: config.user, pass: config.password },
      tls: config.tls,
      logger: false,
      // IDLE is started by waitForMail only: auto-IDLE would sit between our own commands.
      disableAutoIdle: true,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: Math.max(config.idleTimeoutMs + 60_000, 5 * 60_000),
    });
    // Without a listener an 'error' event would crash the process; the failing command reports it anyway.
    next.on("error", () => undefined);
    next.on("close", () => {
      if (client === next) client = undefined;
    });
    try {
      await next.connect();
      const box = await next.mailboxOpen(config.mailbox);
      validity = String(box.uidValidity);
      if (config.processedMailbox) await next.mailboxCreate(config.processedMailbox); // answers created: false if it exists
    } catch (error) {
      // A wrong mailbox name must not leave a logged-in session behind on every retry.
      next.close();
      throw error;
    }
    client = next;
    return next;
  }

  /** Runs `work` on an open connection; a failure closes it, so the next call starts afresh. */
  async function withClient<T>(work: (imap: ImapFlow) => Promise<T>): Promise<T> {
    try {
      return await work(await open());
    } catch (error) {
      drop();
      throw error;
    }
  }

  return {
    source: imapSource(config),

    async *messages(limit: number): AsyncIterable<FetchedMessage> {
      // All UIDs, not a date window or UNSEEN: a message someone opened in a mail client is still taken.
      const uids = await withClient(async (imap) => {
        const found = await imap.search({ all: true }, { uid: true });
        if (!Array.isArray(found)) throw new Error(`IMAP SEARCH failed in ${config.mailbox}`);
        return [...found].sort((a, b) => a - b).slice(0, limit);
      });
      for (const uid of uids) {
        // One FETCH per message: the caller runs commands (MOVE) between two messages, which a streaming
        // FETCH would block.
        const message = await withClient((imap) => imap.fetchOne(String(uid), { uid: true, source: true }, { uid: true }));
        if (!message || !message.source) continue; // gone meanwhile (another client took it)
        yield { uid: `${validity}:${uid}`, raw: new Uint8Array(message.source) };
      }
    },

    async markDone(id: string): Promise<void> {
      const { validity: of, uid } = parseUid(id);
      await withClient(async (imap) => {
        // The folder was recreated since the fetch: the UID names another message now. The stored copy makes
        // the next poll's fetch of it a duplicate, which is cleared then.
        if (of !== validity) return;
        if (config.processedMailbox) {
          const moved = await imap.messageMove(String(uid), config.processedMailbox, { uid: true });
          if (!moved) throw new Error(`Could not move message ${uid} to ${config.processedMailbox}`);
        } else {
          const deleted = await imap.messageDelete(String(uid), { uid: true });
          if (!deleted) throw new Error(`Could not delete message ${uid} from ${config.mailbox}`);
        }
      });
    },

    async waitForMail(signal: AbortSignal): Promise<void> {
      if (signal.aborted) return;
      const imap = await withClient(async (connection) => connection);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          imap.off("exists", done);
          imap.off("close", done);
          signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, config.idleTimeoutMs);
        imap.on("exists", done);
        imap.on("close", done);
        signal.addEventListener("abort", done, { once: true });
        // IDLE lasts until the next command (which ends it with DONE) or the connection drops.
        imap.idle().then(
          () => undefined,
          () => done(),
        );
      });
    },

    async close(): Promise<void> {
      const old = client;
      client = undefined;
      if (!old) return;
      await old.logout().catch(() => old.close());
    },
  };
}
