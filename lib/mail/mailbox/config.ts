// Which mailboxes to poll, from the IMAP_* and GRAPH_* settings (validated in lib/env.ts), and the connectors
// that read them: the worker, the cron route and /api/health all start from here.
import { env, type Env } from "@/lib/env";
import { graphConnector, graphSource, type GraphConfig } from "./graph";
import { imapConnector, imapSource, type ImapConfig } from "./imap";
import type { MailboxConnector } from "./types";

export type MailboxConfig =
  | { kind: "imap"; source: string; intervalSeconds: number; imap: ImapConfig }
  | { kind: "graph"; source: string; intervalSeconds: number; graph: GraphConfig };

export function imapConfig(config: Env = env()): ImapConfig | undefined {
  const { IMAP_HOST: host, IMAP_USER: user, IMAP_PASSWORD: password } = config;
  if (!host || !user || !password) return undefined;
  const secure = config.IMAP_SECURE ?? true;
  return {
    host,
    port: config.IMAP_PORT ?? (secure ? 993 : 143),
    secure,
    // Unset: upgrade when the server offers STARTTLS; true: refuse to log in without it; false: never.
    startTls: config.IMAP_STARTTLS,
    user,
    password,
    mailbox: config.IMAP_MAILBOX,
    processedMailbox: config.IMAP_PROCESSED_MAILBOX,
    idleTimeoutMs: config.IMAP_IDLE_TIMEOUT * 1000,
  };
}

export function graphConfig(config: Env = env()): GraphConfig | undefined {
  const { GRAPH_TENANT_ID: tenantId, GRAPH_CLIENT_ID: clientId, GRAPH_CLIENT_SECRET: clientSecret, GRAPH_MAILBOX: mailbox } = config;
  if (!tenantId || !clientId || !clientSecret || !mailbox) return undefined;
  return {
    tenantId,
    clientId,
    clientSecret,
    mailbox,
    folder: config.GRAPH_FOLDER,
    processedFolder: config.GRAPH_PROCESSED_FOLDER,
    pollIntervalMs: config.GRAPH_POLL_INTERVAL * 1000,
    authorityHost: config.GRAPH_AUTHORITY_HOST,
    apiBaseUrl: config.GRAPH_API_BASE_URL,
  };
}

/** The configured mailboxes (none, one or both kinds), without connecting to anything. */
export function mailboxConfigs(config: Env = env()): MailboxConfig[] {
  const out: MailboxConfig[] = [];
  const imap = imapConfig(config);
  if (imap) out.push({ kind: "imap", source: imapSource(imap), intervalSeconds: config.IMAP_IDLE_TIMEOUT, imap });
  const graph = graphConfig(config);
  if (graph) out.push({ kind: "graph", source: graphSource(graph), intervalSeconds: config.GRAPH_POLL_INTERVAL, graph });
  return out;
}

/** A connector for one configured mailbox; nothing is opened until it is used. */
export function connectorFor(mailbox: MailboxConfig): MailboxConnector {
  return mailbox.kind === "imap" ? imapConnector(mailbox.imap) : graphConnector(mailbox.graph);
}
